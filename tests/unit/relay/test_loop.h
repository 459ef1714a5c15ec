#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace pfd::relay::testing {

// A uv_loop_t owned by one test. Its destructor finishes every pending uv_close and fails the
// test if a handle was left open, which is how the tests prove that the relay cleans up.
class TestLoop {
 public:
  TestLoop() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &wakeup_, [](uv_async_t*) {});
    uv_timer_init(&loop_, &deadline_);
    uv_prepare_init(&loop_, &check_);
    // Wake-up sources only: they must not keep runUntilIdle() going by themselves.
    uv_unref(reinterpret_cast<uv_handle_t*>(&wakeup_));
    uv_unref(reinterpret_cast<uv_handle_t*>(&deadline_));
    uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
  }

  ~TestLoop() {
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    drain();
    if (uv_loop_close(&loop_) != 0) {
      std::vector<std::string> open;
      uv_walk(
          &loop_,
          [](uv_handle_t* handle, void* names) {
            static_cast<std::vector<std::string>*>(names)->push_back(
                uv_handle_type_name(uv_handle_get_type(handle)));
            if (uv_is_closing(handle) == 0) {
              uv_close(handle, nullptr);
            }
          },
          &open);
      ADD_FAILURE() << "uv handles left open on the loop: " << ::testing::PrintToString(open);
      drain();
      uv_loop_close(&loop_);
    }
  }

  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `condition` holds, waiting for I/O or for wakeUp() from another thread
  // in between. The deadline only turns a hang into a failure; nothing waits for it to pass.
  bool runUntil(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(40)) {
    bool expired = false;
    deadline_.data = &expired;
    // The loop's clock only moves while it runs: after a test spent a while on the loop thread
    // (building payloads takes seconds under ThreadSanitizer), a deadline counted from the
    // stale time would expire on the first pass.
    uv_update_time(&loop_);
    uv_timer_start(
        &deadline_, [](uv_timer_t* timer) { *static_cast<bool*>(timer->data) = true; },
        static_cast<uint64_t>(deadline.count()), 0);
    // Checked again just before the loop would wait for I/O: a timer or a closing callback may
    // have met the condition, and then the loop must not sleep.
    check_.data = const_cast<std::function<bool()>*>(&condition);
    uv_prepare_start(&check_, [](uv_prepare_t* check) {
      if ((*static_cast<std::function<bool()>*>(check->data))()) {
        uv_stop(check->loop);
      }
    });
    // Referenced while waiting, so that uv_run blocks for the other threads' wake-ups.
    uv_ref(reinterpret_cast<uv_handle_t*>(&wakeup_));
    while (!condition() && !expired) {
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_unref(reinterpret_cast<uv_handle_t*>(&wakeup_));
    uv_prepare_stop(&check_);
    uv_timer_stop(&deadline_);
    const bool met = condition();
    EXPECT_TRUE(met) << "the condition did not hold within " << deadline.count() << " ms";
    return met;
  }

  // Runs until no handle keeps the loop alive: every close done.
  void runUntilIdle() { uv_run(&loop_, UV_RUN_DEFAULT); }
  // One pass without waiting.
  void runOnce() { uv_run(&loop_, UV_RUN_NOWAIT); }

  // Thread-safe: makes a runUntil() on the loop thread re-check its condition.
  void wakeUp() { uv_async_send(&wakeup_); }

 private:
  // Close callbacks all run in one loop pass; a few passes cover closes started by callbacks.
  void drain() {
    for (int pass = 0; pass < 16 && uv_loop_alive(&loop_) != 0; ++pass) {
      uv_run(&loop_, UV_RUN_NOWAIT);
    }
  }

  uv_loop_t loop_;
  uv_async_t wakeup_;
  uv_timer_t deadline_;
  uv_prepare_t check_;
};

}  // namespace pfd::relay::testing
