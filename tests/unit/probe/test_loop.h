#pragma once

#include <uv.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/probe/prober.h"
#include "gtest/gtest.h"

namespace pfd::probe::testing {

// A uv_loop_t owned by one test. Its destructor finishes every pending uv_close and fails the
// test if a handle was left open, which is how the tests prove that probers clean up.
class TestLoop {
 public:
  TestLoop() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &wakeup_, [](uv_async_t*) {});
    // Only a wake-up source: it must not keep uv_run() going by itself.
    uv_unref(reinterpret_cast<uv_handle_t*>(&wakeup_));
  }

  ~TestLoop() {
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
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

  // Runs the loop until `condition` holds; false if the loop ran out of work first.
  bool runUntil(const std::function<bool()>& condition) {
    while (!condition()) {
      if (uv_run(&loop_, UV_RUN_ONCE) == 0 && !condition()) {
        return false;
      }
    }
    return true;
  }

  // Runs until no handle keeps the loop alive: every timer fired or stopped, every close done.
  void runUntilIdle() { uv_run(&loop_, UV_RUN_DEFAULT); }

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
};

// Collects what a probe reports, to check that `done` runs exactly once.
struct ResultRecorder {
  std::optional<ProbeResult> result;
  int calls = 0;

  std::function<void(ProbeResult)> callback() {
    return [this](ProbeResult reported) {
      ++calls;
      result = std::move(reported);
    };
  }
};

}  // namespace pfd::probe::testing
