#pragma once

#include <uv.h>

#include <chrono>
#include <functional>

namespace pfd::probe {

// A one-shot uv_timer_t that its owner may destroy at any time, even from inside the callback:
// the uv handle lives in a separate block that is freed only in its uv_close callback.
class LoopTimer {
 public:
  explicit LoopTimer(uv_loop_t* loop);
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Re-arms the timer; a callback given earlier that has not run yet is dropped.
  void start(std::chrono::milliseconds delay, std::function<void()> callback);
  void stop();

 private:
  struct Handle;
  static void onFire(uv_timer_t* timer);

  Handle* handle_;
};

}  // namespace pfd::probe
