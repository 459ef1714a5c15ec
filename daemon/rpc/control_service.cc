#include "daemon/rpc/control_service.h"

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "daemon/rpc/describe_convert.h"
#include "daemon/rpc/loop_stream_writer.h"
#include "daemon/rpc/proto_convert.h"
#include "daemon/rpc/tap_stream.h"

namespace pfd::rpc {
namespace {

std::vector<std::string> namesOf(const google::protobuf::RepeatedPtrField<std::string>& names) {
  return {names.begin(), names.end()};
}

bool wants(const std::vector<std::string>& names, const std::string& name) {
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}

// Feeds a stream from the supervisor's notifications.
class SupervisorFeed : public core::SupervisorListener {
 public:
  using StateCallback =
      std::function<void(const core::Forward&, core::ForwardState, const std::string&)>;
  using LineCallback = std::function<void(const core::Forward&, const core::LogLine&)>;
  SupervisorFeed(StateCallback on_state, LineCallback on_line)
      : on_state_(std::move(on_state)), on_line_(std::move(on_line)) {}

  void onStateChanged(const core::Forward& forward, core::ForwardState previous,
                      const std::string& reason) override {
    if (on_state_) {
      on_state_(forward, previous, reason);
    }
  }
  // A probe flip shows in a watch like a state change that keeps the state.
  void onProbeChanged(const core::Forward& forward, const std::string& text) override {
    if (on_state_) {
      on_state_(forward, forward.state(), text);
    }
  }
  // So does a switch to another pod: one event, READY to READY.
  void onSwitched(const core::Forward& forward, const std::string& text) override {
    if (on_state_) {
      on_state_(forward, forward.state(), text);
    }
  }
  void onLogLine(const core::Forward& forward, const core::LogLine& line) override {
    if (on_line_) {
      on_line_(forward, line);
    }
  }

 private:
  StateCallback on_state_;
  LineCallback on_line_;
};

}  // namespace

grpc::Status toGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

ControlService::ControlService(event::Dispatcher& dispatcher, ControlBackend backend)
    : dispatcher_(dispatcher), backend_(std::move(backend)) {}

template <typename Message>
void ControlService::feedStream(LoopStreamWriter<Message>* writer,
                                std::shared_ptr<core::SupervisorListener> feed) {
  backend_.supervisor.addListener(feed.get());
  auto finish =
      std::make_shared<std::function<void()>>([writer] { writer->finish(grpc::Status::OK); });
  open_streams_.insert(finish);
  writer->setOnFinishing([this, feed, finish] {
    backend_.supervisor.removeListener(feed.get());
    open_streams_.erase(finish);
  });
}

grpc::Status ControlService::rejectWhileShuttingDown() const {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "pfd is shutting down");
}

void ControlService::finishStreams() {
  auto streams = std::move(open_streams_);
  open_streams_.clear();
  for (const auto& finish : streams) {
    (*finish)();
  }
}

grpc::ServerUnaryReactor* ControlService::ListForwards(grpc::CallbackServerContext* context,
                                                       const v1::ListForwardsRequest* request,
                                                       v1::ListForwardsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  dispatcher_.post([this, reactor, request, response] {
    auto found = backend_.supervisor.find(namesOf(request->names()), /*all_when_empty=*/true);
    if (!found.ok()) {
      reactor->Finish(toGrpcStatus(found.status()));
      return;
    }
    const event::MonotonicTime now = dispatcher_.monotonicTime();
    std::map<const core::Cluster*, uint32_t> clusters;  // in first-use order below
    std::vector<const core::Cluster*> order;
    for (const core::Forward* forward : *found) {
      toProto(*forward, now, response->add_forwards());
      if (const core::Cluster* cluster = forward->cluster(); cluster != nullptr) {
        if (clusters[cluster]++ == 0) {
          order.push_back(cluster);
        }
      }
    }
    for (const core::Cluster* cluster : order) {
      toProto(*cluster, clusters[cluster], response->add_clusters());
    }
    if (backend_.config_status) {
      backend_.config_status(response->mutable_config());
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::actOnForwards(
    grpc::CallbackServerContext* context, const v1::ForwardsRequest* request,
    v1::ForwardsResponse* response, std::function<void(core::Forward&)> action) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  dispatcher_.post([this, reactor, request, response, action = std::move(action)] {
    if (backend_.supervisor.shuttingDown()) {
      reactor->Finish(rejectWhileShuttingDown());
      return;
    }
    if (request->names().empty() && !request->all()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "name at least one forward, or ask for all"));
      return;
    }
    auto found = backend_.supervisor.find(namesOf(request->names()), request->all());
    if (!found.ok()) {
      reactor->Finish(toGrpcStatus(found.status()));
      return;
    }
    for (core::Forward* forward : *found) {
      action(*forward);
    }
    const event::MonotonicTime now = dispatcher_.monotonicTime();
    for (const core::Forward* forward : *found) {
      toProto(*forward, now, response->add_forwards());
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::RestartForwards(grpc::CallbackServerContext* context,
                                                          const v1::ForwardsRequest* request,
                                                          v1::ForwardsResponse* response) {
  return actOnForwards(context, request, response, [](core::Forward& f) { f.restart(); });
}

grpc::ServerUnaryReactor* ControlService::StopForwards(grpc::CallbackServerContext* context,
                                                       const v1::ForwardsRequest* request,
                                                       v1::ForwardsResponse* response) {
  return actOnForwards(context, request, response, [](core::Forward& f) { f.stop(); });
}

grpc::ServerUnaryReactor* ControlService::StartForwards(grpc::CallbackServerContext* context,
                                                        const v1::ForwardsRequest* request,
                                                        v1::ForwardsResponse* response) {
  return actOnForwards(context, request, response, [](core::Forward& f) { f.start(); });
}

grpc::ServerWriteReactor<v1::LogLine>* ControlService::StreamLogs(
    grpc::CallbackServerContext*, const v1::StreamLogsRequest* request) {
  auto* writer = new LoopStreamWriter<v1::LogLine>(dispatcher_);
  dispatcher_.post([this, writer, request] {
    auto found = backend_.supervisor.find({request->name()}, false);
    if (request->name().empty()) {
      writer->finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name a forward"));
      return;
    }
    if (!found.ok()) {
      writer->finish(toGrpcStatus(found.status()));
      return;
    }
    const std::string name = request->name();
    for (const core::LogLine& line : (*found)[0]->logs().tail(request->tail())) {
      v1::LogLine message;
      toProto(line, name, &message);
      writer->send(std::move(message));
    }
    if (!request->follow() || backend_.supervisor.shuttingDown()) {
      writer->finish(grpc::Status::OK);
      return;
    }
    auto feed = std::make_shared<SupervisorFeed>(
        nullptr, [writer, name](const core::Forward& forward, const core::LogLine& line) {
          if (forward.name() == name) {
            v1::LogLine message;
            toProto(line, name, &message);
            writer->send(std::move(message));
          }
        });
    feedStream(writer, std::move(feed));
  });
  return writer;
}

grpc::ServerWriteReactor<v1::ForwardEvent>* ControlService::Watch(grpc::CallbackServerContext*,
                                                                  const v1::WatchRequest* request) {
  auto* writer = new LoopStreamWriter<v1::ForwardEvent>(dispatcher_);
  dispatcher_.post([this, writer, request] {
    const std::vector<std::string> names = namesOf(request->names());
    auto found = backend_.supervisor.find(names, /*all_when_empty=*/true);
    if (!found.ok()) {
      writer->finish(toGrpcStatus(found.status()));
      return;
    }
    const event::MonotonicTime now = dispatcher_.monotonicTime();
    for (size_t i = 0; i < found->size(); ++i) {
      v1::ForwardEvent event;
      toTimestamp(dispatcher_.systemTime(), event.mutable_time());
      toProto(*(*found)[i], now, event.mutable_forward());
      event.set_initial(true);
      event.set_last_initial(i + 1 == found->size());
      writer->send(std::move(event));
    }
    if (backend_.supervisor.shuttingDown()) {
      writer->finish(grpc::Status::OK);
      return;
    }
    auto feed = std::make_shared<SupervisorFeed>(
        [this, writer, names](const core::Forward& forward, core::ForwardState previous,
                              const std::string& reason) {
          if (!wants(names, forward.name())) {
            return;
          }
          v1::ForwardEvent event;
          toTimestamp(dispatcher_.systemTime(), event.mutable_time());
          toProto(forward, dispatcher_.monotonicTime(), event.mutable_forward());
          event.set_previous_state(toProto(previous));
          event.set_reason(reason);
          writer->send(std::move(event));
        },
        nullptr);
    feedStream(writer, std::move(feed));
  });
  return writer;
}

grpc::ServerWriteReactor<v1::TapMessage>* ControlService::Tap(grpc::CallbackServerContext*,
                                                              const v1::TapRequest* request) {
  auto* writer = new LoopStreamWriter<v1::TapMessage>(dispatcher_);
  dispatcher_.post([this, writer, request] {
    if (backend_.supervisor.shuttingDown()) {
      writer->finish(rejectWhileShuttingDown());
      return;
    }
    if (request->name().empty()) {
      writer->finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name a forward to tap"));
      return;
    }
    if (request->port() > 65535) {
      writer->finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       "--port " + std::to_string(request->port()) + " is not a port (1-65535)"));
      return;
    }
    auto found = backend_.supervisor.find({request->name()}, false);
    if (!found.ok()) {
      writer->finish(toGrpcStatus(found.status()));
      return;
    }
    core::TapFilter filter{.max_bytes = static_cast<size_t>(request->max_bytes()),
                           .connections_only = request->connections_only()};
    if (request->port() != 0) {
      filter.port = static_cast<uint16_t>(request->port());
    }
    auto finish =
        std::make_shared<std::function<void()>>([writer] { writer->finish(grpc::Status::OK); });
    open_streams_.insert(finish);
    TapStream::start(writer, *(*found)[0], filter, [this, finish] { open_streams_.erase(finish); });
  });
  return writer;
}

grpc::ServerUnaryReactor* ControlService::Reload(grpc::CallbackServerContext* context,
                                                 const v1::ReloadRequest*,
                                                 v1::ReloadResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  dispatcher_.post([this, reactor, response] {
    if (backend_.supervisor.shuttingDown()) {
      reactor->Finish(rejectWhileShuttingDown());
      return;
    }
    if (!backend_.reload) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "reload is not available"));
      return;
    }
    auto result = backend_.reload();
    if (!result.ok()) {
      reactor->Finish(toGrpcStatus(result.status()));
      return;
    }
    response->set_config_path(backend_.version.config_path());
    for (const std::string& name : result->added) {
      response->add_added(name);
    }
    for (const std::string& name : result->changed) {
      response->add_changed(name);
    }
    for (const std::string& name : result->removed) {
      response->add_removed(name);
    }
    for (const std::string& name : result->unchanged) {
      response->add_unchanged(name);
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::GetVersion(grpc::CallbackServerContext* context,
                                                     const v1::GetVersionRequest*,
                                                     v1::GetVersionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  dispatcher_.post([this, reactor, response] {
    *response = backend_.version;
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::DescribeForward(grpc::CallbackServerContext* context,
                                                          const v1::DescribeForwardRequest* request,
                                                          v1::DescribeForwardResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  dispatcher_.post([this, reactor, request, response] {
    if (request->name().empty()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name a forward"));
      return;
    }
    auto found = backend_.supervisor.find({request->name()}, /*all_when_empty=*/false);
    if (!found.ok()) {
      reactor->Finish(toGrpcStatus(found.status()));
      return;
    }
    toDescription(*(*found)[0], dispatcher_.monotonicTime(), response);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace pfd::rpc
