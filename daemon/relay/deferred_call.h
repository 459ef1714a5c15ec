#pragma once

#include <uv.h>

#include <functional>

namespace pfd::relay {

// Runs a function on a later turn of the loop (a zero-delay uv_timer_t), for results that are
// known at once but must not be reported from inside the call that asked for them. Its owner may
// destroy it at any time, even from inside the function: the handle lives in a block freed by
// its close callback, and a function that has not run yet is dropped.
class DeferredCall {
 public:
  explicit DeferredCall(uv_loop_t* loop);
  ~DeferredCall();
  DeferredCall(const DeferredCall&) = delete;
  DeferredCall& operator=(const DeferredCall&) = delete;

  // Replaces a function that has not run yet.
  void post(std::function<void()> function);

 private:
  struct Handle;
  static void onFire(uv_timer_t* timer);

  Handle* handle_;
};

}  // namespace pfd::relay
