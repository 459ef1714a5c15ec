#include "tests/unit/client/fake_control_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pfd::client::fixtures {
namespace {

// Writes canned messages one at a time (the callback API allows one write in flight), then
// finishes, or with `hold_open` waits for the client to cancel.
template <typename Message>
class CannedStream final : public grpc::ServerWriteReactor<Message> {
 public:
  CannedStream(std::vector<Message> messages, bool hold_open)
      : messages_(std::move(messages)), hold_open_(hold_open) {
    std::lock_guard lock(mutex_);
    writeNext();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    writing_ = false;
    if (!ok || cancelled_) {
      finishOnce(grpc::Status::CANCELLED);
      return;
    }
    writeNext();
  }

  void OnCancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (!writing_) {
      finishOnce(grpc::Status::CANCELLED);
    }
  }

  void OnDone() override { delete this; }

 private:
  void writeNext() {
    if (next_ < messages_.size()) {
      writing_ = true;
      this->StartWrite(&messages_[next_++]);
      return;
    }
    if (!hold_open_) {
      finishOnce(grpc::Status::OK);
    }
  }

  void finishOnce(const grpc::Status& status) {
    if (!finished_) {
      finished_ = true;
      this->Finish(status);
    }
  }

  // Recursive: gRPC may run a reaction inline from StartWrite or Finish.
  std::recursive_mutex mutex_;
  std::vector<Message> messages_;
  const bool hold_open_;
  size_t next_ = 0;
  bool writing_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

template <typename Message>
class FailedStream final : public grpc::ServerWriteReactor<Message> {
 public:
  explicit FailedStream(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

grpc::ServerUnaryReactor* finish(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace

void FakeControlService::setForwards(std::vector<pfd::v1::Forward> forwards) {
  std::lock_guard lock(mutex_);
  forwards_ = std::move(forwards);
}

void FakeControlService::setConfig(pfd::v1::ConfigStatus config) {
  std::lock_guard lock(mutex_);
  config_ = std::move(config);
}

void FakeControlService::setLogs(std::vector<pfd::v1::LogLine> kept,
                                 std::vector<pfd::v1::LogLine> followed, bool hold_open) {
  std::lock_guard lock(mutex_);
  kept_lines_ = std::move(kept);
  followed_lines_ = std::move(followed);
  hold_logs_open_ = hold_open;
}

void FakeControlService::setWatchEvents(std::vector<pfd::v1::ForwardEvent> events, bool hold_open) {
  std::lock_guard lock(mutex_);
  events_ = std::move(events);
  hold_watch_open_ = hold_open;
}

void FakeControlService::setReloadAnswer(grpc::Status status, pfd::v1::ReloadResponse response) {
  std::lock_guard lock(mutex_);
  reload_status_ = std::move(status);
  reload_response_ = std::move(response);
}

void FakeControlService::setVersion(pfd::v1::GetVersionResponse version) {
  std::lock_guard lock(mutex_);
  version_ = std::move(version);
}

int FakeControlService::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::optional<pfd::v1::ForwardsRequest> FakeControlService::lastForwardsRequest() const {
  std::lock_guard lock(mutex_);
  return last_forwards_request_;
}

std::optional<pfd::v1::StreamLogsRequest> FakeControlService::lastLogsRequest() const {
  std::lock_guard lock(mutex_);
  return last_logs_request_;
}

grpc::Status FakeControlService::checkNames(
    const google::protobuf::RepeatedPtrField<std::string>& names) const {
  std::vector<std::string> known;
  for (const pfd::v1::Forward& forward : forwards_) {
    known.push_back(forward.name());
  }
  std::sort(known.begin(), known.end());
  for (const std::string& name : names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("no forward named \"", name,
                                       "\"; known forwards: ", absl::StrJoin(known, ", ")));
    }
  }
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* FakeControlService::ListForwards(
    grpc::CallbackServerContext* context, const pfd::v1::ListForwardsRequest* request,
    pfd::v1::ListForwardsResponse* response) {
  std::lock_guard lock(mutex_);
  ++calls_;
  if (grpc::Status status = checkNames(request->names()); !status.ok()) {
    return finish(context, status);
  }
  for (const pfd::v1::Forward& forward : forwards_) {
    if (request->names().empty() ||
        std::count(request->names().begin(), request->names().end(), forward.name()) > 0) {
      *response->add_forwards() = forward;
    }
  }
  *response->mutable_config() = config_;
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FakeControlService::answerForwards(
    grpc::CallbackServerContext* context, const pfd::v1::ForwardsRequest& request,
    pfd::v1::ForwardState new_state, pfd::v1::ForwardsResponse* response) {
  std::lock_guard lock(mutex_);
  ++calls_;
  last_forwards_request_ = request;
  if (grpc::Status status = checkNames(request.names()); !status.ok()) {
    return finish(context, status);
  }
  for (const pfd::v1::Forward& forward : forwards_) {
    if (request.all() ||
        std::count(request.names().begin(), request.names().end(), forward.name()) > 0) {
      pfd::v1::Forward* affected = response->add_forwards();
      *affected = forward;
      affected->set_state(new_state);
    }
  }
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FakeControlService::RestartForwards(
    grpc::CallbackServerContext* context, const pfd::v1::ForwardsRequest* request,
    pfd::v1::ForwardsResponse* response) {
  return answerForwards(context, *request, pfd::v1::FORWARD_STATE_STARTING, response);
}

grpc::ServerUnaryReactor* FakeControlService::StopForwards(grpc::CallbackServerContext* context,
                                                           const pfd::v1::ForwardsRequest* request,
                                                           pfd::v1::ForwardsResponse* response) {
  return answerForwards(context, *request, pfd::v1::FORWARD_STATE_STOPPED, response);
}

grpc::ServerUnaryReactor* FakeControlService::StartForwards(grpc::CallbackServerContext* context,
                                                            const pfd::v1::ForwardsRequest* request,
                                                            pfd::v1::ForwardsResponse* response) {
  return answerForwards(context, *request, pfd::v1::FORWARD_STATE_STARTING, response);
}

grpc::ServerWriteReactor<pfd::v1::LogLine>* FakeControlService::StreamLogs(
    grpc::CallbackServerContext* /*context*/, const pfd::v1::StreamLogsRequest* request) {
  std::lock_guard lock(mutex_);
  ++calls_;
  last_logs_request_ = *request;
  google::protobuf::RepeatedPtrField<std::string> names;
  names.Add()->assign(request->name());
  if (grpc::Status status = checkNames(names); !status.ok()) {
    return new FailedStream<pfd::v1::LogLine>(status);
  }
  std::vector<pfd::v1::LogLine> lines = kept_lines_;
  if (request->tail() > 0 && request->tail() < lines.size()) {
    lines.erase(lines.begin(), lines.end() - request->tail());
  }
  if (request->follow()) {
    lines.insert(lines.end(), followed_lines_.begin(), followed_lines_.end());
  }
  return new CannedStream<pfd::v1::LogLine>(std::move(lines), request->follow() && hold_logs_open_);
}

grpc::ServerWriteReactor<pfd::v1::ForwardEvent>* FakeControlService::Watch(
    grpc::CallbackServerContext* /*context*/, const pfd::v1::WatchRequest* request) {
  std::lock_guard lock(mutex_);
  ++calls_;
  if (grpc::Status status = checkNames(request->names()); !status.ok()) {
    return new FailedStream<pfd::v1::ForwardEvent>(status);
  }
  return new CannedStream<pfd::v1::ForwardEvent>(events_, hold_watch_open_);
}

grpc::ServerUnaryReactor* FakeControlService::Reload(grpc::CallbackServerContext* context,
                                                     const pfd::v1::ReloadRequest* /*request*/,
                                                     pfd::v1::ReloadResponse* response) {
  std::lock_guard lock(mutex_);
  ++calls_;
  if (reload_status_.ok()) {
    *response = reload_response_;
  }
  return finish(context, reload_status_);
}

grpc::ServerUnaryReactor* FakeControlService::GetVersion(
    grpc::CallbackServerContext* context, const pfd::v1::GetVersionRequest* /*request*/,
    pfd::v1::GetVersionResponse* response) {
  std::lock_guard lock(mutex_);
  ++calls_;
  *response = version_;
  return finish(context, grpc::Status::OK);
}

}  // namespace pfd::client::fixtures
