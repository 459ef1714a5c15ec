#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/support/status.h"
#include "pfd/v1/control.grpc.pb.h"

namespace pfd::client::fixtures {

// A Control service with canned answers, for running the real pfctl against. It knows a list of
// forwards (and refuses unknown names with NOT_FOUND listing the known ones, as pfd does), streams
// canned log lines and watch events, and records the requests it got.
class FakeControlService final : public pfd::v1::Control::CallbackService {
 public:
  // What the service answers; set before pfctl runs.
  void setForwards(std::vector<pfd::v1::Forward> forwards);
  void setConfig(pfd::v1::ConfigStatus config);
  // Logs: `kept` lines (cut to the request's tail), then with follow the `followed` lines; then
  // the stream ends, or with `hold_open` stays open until the client cancels.
  void setLogs(std::vector<pfd::v1::LogLine> kept, std::vector<pfd::v1::LogLine> followed,
               bool hold_open);
  // Watch: `events`, then the stream ends, or with `hold_open` stays open until cancelled.
  void setWatchEvents(std::vector<pfd::v1::ForwardEvent> events, bool hold_open);
  void setReloadAnswer(grpc::Status status, pfd::v1::ReloadResponse response);
  void setVersion(pfd::v1::GetVersionResponse version);

  // What it was asked.
  int calls() const;
  std::optional<pfd::v1::ForwardsRequest> lastForwardsRequest() const;
  std::optional<pfd::v1::StreamLogsRequest> lastLogsRequest() const;

  grpc::ServerUnaryReactor* ListForwards(grpc::CallbackServerContext* context,
                                         const pfd::v1::ListForwardsRequest* request,
                                         pfd::v1::ListForwardsResponse* response) override;
  grpc::ServerUnaryReactor* RestartForwards(grpc::CallbackServerContext* context,
                                            const pfd::v1::ForwardsRequest* request,
                                            pfd::v1::ForwardsResponse* response) override;
  grpc::ServerUnaryReactor* StopForwards(grpc::CallbackServerContext* context,
                                         const pfd::v1::ForwardsRequest* request,
                                         pfd::v1::ForwardsResponse* response) override;
  grpc::ServerUnaryReactor* StartForwards(grpc::CallbackServerContext* context,
                                          const pfd::v1::ForwardsRequest* request,
                                          pfd::v1::ForwardsResponse* response) override;
  grpc::ServerWriteReactor<pfd::v1::LogLine>* StreamLogs(
      grpc::CallbackServerContext* context, const pfd::v1::StreamLogsRequest* request) override;
  grpc::ServerWriteReactor<pfd::v1::ForwardEvent>* Watch(
      grpc::CallbackServerContext* context, const pfd::v1::WatchRequest* request) override;
  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context,
                                   const pfd::v1::ReloadRequest* request,
                                   pfd::v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* GetVersion(grpc::CallbackServerContext* context,
                                       const pfd::v1::GetVersionRequest* request,
                                       pfd::v1::GetVersionResponse* response) override;

 private:
  // NOT_FOUND naming the first unknown name, or OK. Called with mutex_ held.
  grpc::Status checkNames(const google::protobuf::RepeatedPtrField<std::string>& names) const;
  grpc::ServerUnaryReactor* answerForwards(grpc::CallbackServerContext* context,
                                           const pfd::v1::ForwardsRequest& request,
                                           pfd::v1::ForwardState new_state,
                                           pfd::v1::ForwardsResponse* response);

  mutable std::mutex mutex_;
  std::vector<pfd::v1::Forward> forwards_;
  pfd::v1::ConfigStatus config_;
  std::vector<pfd::v1::LogLine> kept_lines_;
  std::vector<pfd::v1::LogLine> followed_lines_;
  bool hold_logs_open_ = false;
  std::vector<pfd::v1::ForwardEvent> events_;
  bool hold_watch_open_ = false;
  grpc::Status reload_status_;
  pfd::v1::ReloadResponse reload_response_;
  pfd::v1::GetVersionResponse version_;
  int calls_ = 0;
  std::optional<pfd::v1::ForwardsRequest> last_forwards_request_;
  std::optional<pfd::v1::StreamLogsRequest> last_logs_request_;
};

}  // namespace pfd::client::fixtures
