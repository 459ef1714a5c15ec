#include "daemon/probe/curl_multi_loop.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace pfd::probe {
namespace {

// curl_global_init is not safe to race with other libcurl calls; a function-local static runs it
// exactly once even if probers are created on several threads. Never cleaned up: libcurl stays
// in use until the process exits.
absl::Status initCurlOnce() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("cannot initialise libcurl for HTTP probes: ", curl_easy_strerror(code),
                     "; check the libcurl and OpenSSL installation"));
  }
  return absl::OkStatus();
}

}  // namespace

struct CurlMultiLoop::SocketWatch {
  uv_poll_t poll;
  curl_socket_t socket;
  CurlMultiLoop* owner;
};

absl::StatusOr<CurlMultiLoopPtr> CurlMultiLoop::create(event::LibuvDispatcher& dispatcher) {
  if (absl::Status status = initCurlOnce(); !status.ok()) {
    return status;
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) {
    return absl::ResourceExhaustedError(
        "cannot create a libcurl multi handle for HTTP probes: out of memory");
  }
  // Not make_shared: the constructor is private.
  return CurlMultiLoopPtr(new CurlMultiLoop(dispatcher, multi));
}

CurlMultiLoop::CurlMultiLoop(event::LibuvDispatcher& dispatcher, CURLM* multi)
    : loop_(dispatcher.loop()),
      multi_(multi),
      timer_(dispatcher.createTimer([this] { socketAction(CURL_SOCKET_TIMEOUT, 0); })) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiLoop::onSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiLoop::onTimerChange);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMultiLoop::~CurlMultiLoop() {
  for (auto& [easy, callback] : transfers_) {
    curl_multi_remove_handle(multi_, easy);
  }
  transfers_.clear();
  // Closes cached connections; curl tells onSocket to stop watching them.
  curl_multi_cleanup(multi_);
  while (!watches_.empty()) {
    closeWatch(*watches_.begin());
  }
}

absl::Status CurlMultiLoop::add(CURL* easy, CompletionCallback on_done) {
  const CURLMcode code = curl_multi_add_handle(multi_, easy);
  if (code != CURLM_OK) {
    return absl::InternalError(
        absl::StrCat("cannot start an HTTP probe: ", curl_multi_strerror(code)));
  }
  transfers_[easy] = std::move(on_done);
  return absl::OkStatus();
}

void CurlMultiLoop::remove(CURL* easy) {
  if (transfers_.erase(easy) > 0) {
    curl_multi_remove_handle(multi_, easy);
  }
}

int CurlMultiLoop::onSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* self,
                            void* watch) {
  return static_cast<CurlMultiLoop*>(self)->watchSocket(socket, what,
                                                        static_cast<SocketWatch*>(watch));
}

int CurlMultiLoop::watchSocket(curl_socket_t socket, int what, SocketWatch* watch) {
  if (what == CURL_POLL_REMOVE) {
    // curl closes the socket right after this returns; the poll must be off it by then.
    if (watch != nullptr) {
      closeWatch(watch);
    }
    return 0;
  }
  if (watch == nullptr) {
    watch = new SocketWatch{};
    watch->socket = socket;
    watch->owner = this;
    if (uv_poll_init_socket(loop_, &watch->poll, socket) != 0) {
      delete watch;
      return -1;  // curl fails the transfer instead of waiting forever.
    }
    watch->poll.data = watch;
    watches_.insert(watch);
    curl_multi_assign(multi_, socket, watch);
  }
  int events = 0;
  if ((what & CURL_POLL_IN) != 0) {
    events |= UV_READABLE;
  }
  if ((what & CURL_POLL_OUT) != 0) {
    events |= UV_WRITABLE;
  }
  if (uv_poll_start(&watch->poll, events, &CurlMultiLoop::onPoll) != 0) {
    return -1;
  }
  return 0;
}

void CurlMultiLoop::closeWatch(SocketWatch* watch) {
  watches_.erase(watch);
  watch->owner = nullptr;
  uv_poll_stop(&watch->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll),
           [](uv_handle_t* poll) { delete static_cast<SocketWatch*>(poll->data); });
}

int CurlMultiLoop::onTimerChange(CURLM* /*multi*/, long timeout_ms, void* self) {
  auto* loop = static_cast<CurlMultiLoop*>(self);
  if (timeout_ms < 0) {
    loop->timer_->disable();
    return 0;
  }
  // curl must not be re-entered from its own callback, so "now" (0) becomes the next loop turn.
  // 1 ms rather than 0: libuv 1.44 runs a 0 ms timer re-armed from its own callback again in the
  // same pass, which could spin while curl keeps asking for 0.
  const long delay = timeout_ms == 0 ? 1 : timeout_ms;
  loop->timer_->enable(std::chrono::milliseconds(delay));
  return 0;
}

void CurlMultiLoop::onPoll(uv_poll_t* poll, int status, int events) {
  auto* watch = static_cast<SocketWatch*>(poll->data);
  if (watch->owner == nullptr) {
    return;
  }
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if ((events & UV_READABLE) != 0) {
      flags |= CURL_CSELECT_IN;
    }
    if ((events & UV_WRITABLE) != 0) {
      flags |= CURL_CSELECT_OUT;
    }
  }
  watch->owner->socketAction(watch->socket, flags);
}

void CurlMultiLoop::socketAction(curl_socket_t socket, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, socket, flags, &running);
  deliverCompletions();
}

void CurlMultiLoop::deliverCompletions() {
  std::weak_ptr<CurlMultiLoop> alive = weak_from_this();
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) {
      continue;
    }
    CURL* easy = message->easy_handle;
    const CURLcode result = message->data.result;
    // `message` is invalid once the handle is removed.
    curl_multi_remove_handle(multi_, easy);
    auto transfer = transfers_.find(easy);
    if (transfer == transfers_.end()) {
      continue;
    }
    CompletionCallback callback = std::move(transfer->second);
    transfers_.erase(transfer);
    callback(result);
    // The callback may have destroyed the prober and with it this object.
    if (alive.expired()) {
      return;
    }
  }
}

}  // namespace pfd::probe
