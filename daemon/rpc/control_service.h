#pragma once

#include <functional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/core/supervisor.h"
#include "daemon/event/dispatcher.h"
#include "pfd/v1/control.grpc.pb.h"

namespace pfd::rpc {

template <typename Message>
class LoopStreamWriter;

// What the control service reaches on the loop besides the supervisor.
struct ControlBackend {
  core::Supervisor& supervisor;
  // Reads the config file again and reconciles; the error carries file:line:column.
  std::function<absl::StatusOr<core::ReconcileResult>()> reload;
  std::function<void(v1::ConfigStatus*)> config_status;
  v1::GetVersionResponse version;
};

// The pfd.v1.Control service. Its methods run on gRPC's threads and do nothing there but post the
// request to the loop, which owns all state and finishes the call (callback API).
class ControlService final : public v1::Control::CallbackService {
 public:
  ControlService(event::Dispatcher& dispatcher, ControlBackend backend);

  // Loop thread: ends every open stream (the daemon is exiting), so server shutdown can finish.
  void finishStreams();

 private:
  grpc::ServerUnaryReactor* ListForwards(grpc::CallbackServerContext* context,
                                         const v1::ListForwardsRequest* request,
                                         v1::ListForwardsResponse* response) override;
  grpc::ServerUnaryReactor* RestartForwards(grpc::CallbackServerContext* context,
                                            const v1::ForwardsRequest* request,
                                            v1::ForwardsResponse* response) override;
  grpc::ServerUnaryReactor* StopForwards(grpc::CallbackServerContext* context,
                                         const v1::ForwardsRequest* request,
                                         v1::ForwardsResponse* response) override;
  grpc::ServerUnaryReactor* StartForwards(grpc::CallbackServerContext* context,
                                          const v1::ForwardsRequest* request,
                                          v1::ForwardsResponse* response) override;
  grpc::ServerWriteReactor<v1::LogLine>* StreamLogs(grpc::CallbackServerContext* context,
                                                    const v1::StreamLogsRequest* request) override;
  grpc::ServerWriteReactor<v1::ForwardEvent>* Watch(grpc::CallbackServerContext* context,
                                                    const v1::WatchRequest* request) override;
  grpc::ServerWriteReactor<v1::TapMessage>* Tap(grpc::CallbackServerContext* context,
                                                const v1::TapRequest* request) override;
  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context,
                                   const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* GetVersion(grpc::CallbackServerContext* context,
                                       const v1::GetVersionRequest* request,
                                       v1::GetVersionResponse* response) override;
  grpc::ServerUnaryReactor* DescribeForward(grpc::CallbackServerContext* context,
                                            const v1::DescribeForwardRequest* request,
                                            v1::DescribeForwardResponse* response) override;

  grpc::ServerUnaryReactor* actOnForwards(grpc::CallbackServerContext* context,
                                          const v1::ForwardsRequest* request,
                                          v1::ForwardsResponse* response,
                                          std::function<void(core::Forward&)> action);
  grpc::Status rejectWhileShuttingDown() const;
  // Loop thread: `feed` writes supervisor events to `writer` until the stream ends (by the
  // client, or by finishStreams()).
  template <typename Message>
  void feedStream(LoopStreamWriter<Message>* writer,
                  std::shared_ptr<core::SupervisorListener> feed);

  event::Dispatcher& dispatcher_;
  ControlBackend backend_;
  // Loop-owned: how to end each open stream.
  std::set<std::shared_ptr<std::function<void()>>> open_streams_;
};

// absl::Status -> grpc::Status, keeping the code and message.
grpc::Status toGrpcStatus(const absl::Status& status);

}  // namespace pfd::rpc
