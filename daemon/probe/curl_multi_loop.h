#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/statusor.h"
#include "daemon/event/libuv_dispatcher.h"

namespace pfd::probe {

class CurlMultiLoop;
using CurlMultiLoopPtr = std::shared_ptr<CurlMultiLoop>;

// Drives one CURLM from a libuv loop with libcurl's multi-socket API: curl says which sockets to
// watch (CURLMOPT_SOCKETFUNCTION -> one uv_poll_t each) and when to call back
// (CURLMOPT_TIMERFUNCTION -> one event::Timer); readiness and timeouts go back through
// curl_multi_socket_action, and finished transfers come out of curl_multi_info_read. No threads.
//
// Shared ownership only so that transfers can hold a weak reference and notice that the loop is
// gone; the prober that creates it is its one owner.
class CurlMultiLoop : public std::enable_shared_from_this<CurlMultiLoop> {
 public:
  using CompletionCallback = std::function<void(CURLcode)>;

  // Fails when libcurl cannot be initialised; retrying will not help.
  static absl::StatusOr<CurlMultiLoopPtr> create(event::LibuvDispatcher& dispatcher);

  // Removes every transfer still in flight without running its callback. The easy handles stay
  // with whoever created them.
  ~CurlMultiLoop();
  CurlMultiLoop(const CurlMultiLoop&) = delete;
  CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

  // Starts a transfer; `on_done` runs once, on the loop, with the transfer's result, unless
  // remove() comes first. The callback may destroy this object.
  absl::Status add(CURL* easy, CompletionCallback on_done);
  // Stops a transfer in flight; its callback will not run. Unknown handles are ignored.
  void remove(CURL* easy);

 private:
  struct SocketWatch;

  CurlMultiLoop(event::LibuvDispatcher& dispatcher, CURLM* multi);

  static int onSocket(CURL* easy, curl_socket_t socket, int what, void* self, void* watch);
  static int onTimerChange(CURLM* multi, long timeout_ms, void* self);
  static void onPoll(uv_poll_t* poll, int status, int events);

  int watchSocket(curl_socket_t socket, int what, SocketWatch* watch);
  void closeWatch(SocketWatch* watch);
  void socketAction(curl_socket_t socket, int flags);
  void deliverCompletions();

  uv_loop_t* loop_;
  CURLM* multi_;
  event::TimerPtr timer_;  // curl's CURLMOPT_TIMERFUNCTION deadline
  std::unordered_set<SocketWatch*> watches_;
  std::unordered_map<CURL*, CompletionCallback> transfers_;
};

}  // namespace pfd::probe
