#pragma once

#include <uv.h>

#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "daemon/event/dispatcher.h"
#include "daemon/event/libuv_timer.h"

namespace pfd::event {

class LibuvDispatcher;
using LibuvDispatcherPtr = std::unique_ptr<LibuvDispatcher>;

// The daemon's event loop: a uv_loop_t it owns, posted callbacks and timers.
//
// Everything that owns handles on loop() (processes, probes, signal watchers, the RPC wiring)
// must be destroyed before the dispatcher; their pending close callbacks are fine, the destructor
// runs them. Timers may outlive it: they stop working.
class LibuvDispatcher : public Dispatcher {
 public:
  static absl::StatusOr<LibuvDispatcherPtr> create();
  ~LibuvDispatcher() override;
  LibuvDispatcher(const LibuvDispatcher&) = delete;
  LibuvDispatcher& operator=(const LibuvDispatcher&) = delete;

  uv_loop_t* loop() { return &loop_; }

  // Runs the loop until exit() is called (from a callback on the loop thread). Callbacks already
  // taken from the post() queue when exit() is called still run before run() returns.
  void run();
  // Makes run() return; if called while run() is not running, the next run() returns at once.
  void exit();

  // Dispatcher.
  void post(absl::AnyInvocable<void() &&> callback) override;
  TimerPtr createTimer(std::function<void()> callback) override;
  // The loop's time, which is what timers count from: a timer enabled for d fires no earlier than
  // monotonicTime() + d as seen when it was enabled. It advances once per loop iteration.
  MonotonicTime monotonicTime() const override;
  SystemTime systemTime() const override;

 private:
  friend class LibuvTimer;
  using PostedCallback = absl::AnyInvocable<void() &&>;

  LibuvDispatcher() = default;
  absl::Status init();
  static void onPosted(uv_async_t* async);
  void runPostedCallbacks();
  void dropPostedCallbacks();
  void closeRemainingHandles();
  void registerTimer(LibuvTimer::Handle* handle) { live_timers_.insert(handle); }
  void unregisterTimer(LibuvTimer::Handle* handle) { live_timers_.erase(handle); }

  uv_loop_t loop_{};
  uv_async_t posted_wakeup_{};
  bool loop_initialized_ = false;
  bool wakeup_initialized_ = false;
  bool exit_requested_ = false;
  absl::flat_hash_set<LibuvTimer::Handle*> live_timers_;

  // A std::mutex rather than absl::Mutex: Debian's Abseil is not built for ThreadSanitizer, which
  // would then not see the hand-off between post() and the loop.
  std::mutex posted_mutex_;
  std::vector<PostedCallback> posted_ ABSL_GUARDED_BY(posted_mutex_);
};

}  // namespace pfd::event
