#include "daemon/event/libuv_dispatcher.h"

#include <chrono>
#include <csignal>
#include <utility>

#include "daemon/event/uv_status.h"
#include "spdlog/spdlog.h"

namespace pfd::event {
namespace {

const char* handleTypeName(const uv_handle_t* handle) {
  return uv_handle_type_name(uv_handle_get_type(handle));
}

}  // namespace

absl::StatusOr<LibuvDispatcherPtr> LibuvDispatcher::create() {
  LibuvDispatcherPtr dispatcher(new LibuvDispatcher());
  if (absl::Status status = dispatcher->init(); !status.ok()) {
    return status;
  }
  return dispatcher;
}

absl::Status LibuvDispatcher::init() {
  if (int rc = uv_loop_init(&loop_); rc != 0) {
    return uvStatus(rc, "cannot create the event loop (check the open-file limit, ulimit -n)");
  }
  loop_initialized_ = true;
  if (int rc = uv_async_init(&loop_, &posted_wakeup_, onPosted); rc != 0) {
    return uvStatus(rc, "cannot create the event loop's wake-up handle");
  }
  wakeup_initialized_ = true;
  posted_wakeup_.data = this;
  return absl::OkStatus();
}

LibuvDispatcher::~LibuvDispatcher() {
  if (!loop_initialized_) {
    return;
  }
  // Dropping a callback may destroy what it captured, including timers and processes that close
  // their handles, so do it while the loop still works.
  dropPostedCallbacks();
  for (LibuvTimer::Handle* handle : live_timers_) {
    LibuvTimer::closeOnShutdown(handle);
  }
  live_timers_.clear();
  if (wakeup_initialized_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&posted_wakeup_), nullptr);
  }
  closeRemainingHandles();
  if (int rc = uv_loop_close(&loop_); rc != 0) {
    spdlog::error("event loop still busy at shutdown ({}); some handle was never closed",
                  uv_strerror(rc));
  }
}

// Runs the loop until every close callback has run. A child of a destroyed Process is still
// being reaped (its handle closes once it has exited); anything else still open is a bug in its
// owner, reported and closed so that shutdown cannot hang on it.
void LibuvDispatcher::closeRemainingHandles() {
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (uv_is_closing(handle) != 0) {
          return;
        }
        if (uv_handle_get_type(handle) == UV_PROCESS && uv_is_active(handle) != 0) {
          uv_process_kill(reinterpret_cast<uv_process_t*>(handle), SIGKILL);
          return;
        }
        spdlog::error("a {} handle was still open when the event loop shut down; closing it",
                      handleTypeName(handle));
        uv_close(handle, nullptr);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  // A process handle whose owner was leaked stays open after its child has been reaped.
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (uv_is_closing(handle) == 0) {
          spdlog::error("a {} handle was still open when the event loop shut down; closing it",
                        handleTypeName(handle));
          uv_close(handle, nullptr);
        }
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void LibuvDispatcher::run() {
  // The wake-up handle is always active, so uv_run only returns after uv_stop().
  while (!exit_requested_) {
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  exit_requested_ = false;
}

void LibuvDispatcher::exit() {
  exit_requested_ = true;
  uv_stop(&loop_);
}

void LibuvDispatcher::post(absl::AnyInvocable<void() &&> callback) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(callback));
  }
  uv_async_send(&posted_wakeup_);
}

void LibuvDispatcher::onPosted(uv_async_t* async) {
  static_cast<LibuvDispatcher*>(async->data)->runPostedCallbacks();
}

void LibuvDispatcher::runPostedCallbacks() {
  // libuv coalesces wake-ups, so one wake-up may stand for many posts: take them all. Callbacks
  // posted while these run wake the loop again and run on the next pass.
  std::vector<PostedCallback> callbacks;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    callbacks.swap(posted_);
  }
  for (PostedCallback& callback : callbacks) {
    std::move(callback)();
  }
}

void LibuvDispatcher::dropPostedCallbacks() {
  for (;;) {
    std::vector<PostedCallback> callbacks;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      callbacks.swap(posted_);
    }
    if (callbacks.empty()) {
      return;
    }
  }
}

TimerPtr LibuvDispatcher::createTimer(std::function<void()> callback) {
  return std::make_unique<LibuvTimer>(*this, std::move(callback));
}

MonotonicTime LibuvDispatcher::monotonicTime() const {
  // uv_now counts milliseconds on CLOCK_MONOTONIC, the clock steady_clock reads on Linux.
  return MonotonicTime(std::chrono::milliseconds(uv_now(&loop_)));
}

SystemTime LibuvDispatcher::systemTime() const { return std::chrono::system_clock::now(); }

}  // namespace pfd::event
