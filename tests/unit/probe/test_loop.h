#pragma once

#include <poll.h>
#include <uv.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/event/libuv_dispatcher.h"
#include "daemon/probe/prober.h"
#include "gtest/gtest.h"

namespace pfd::probe::testing {

// The daemon's own dispatcher, owned by one test and driven a step at a time. Its destructor
// fails the test if a probe left a handle open (the dispatcher's wake-up handle aside), which is
// how the tests prove that probers clean up.
class TestLoop {
 public:
  TestLoop() {
    absl::StatusOr<event::LibuvDispatcherPtr> dispatcher = event::LibuvDispatcher::create();
    if (!dispatcher.ok()) {
      ADD_FAILURE() << dispatcher.status();
      std::abort();
    }
    dispatcher_ = *std::move(dispatcher);
  }

  ~TestLoop() {
    runUntilIdle();
    std::vector<std::string> open = openHandles();
    if (!open.empty()) {
      ADD_FAILURE() << "uv handles left open on the loop: " << ::testing::PrintToString(open);
    }
    // The dispatcher closes whatever is left, so one failure does not hang the next test.
    dispatcher_.reset();
  }

  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  event::LibuvDispatcher& dispatcher() { return *dispatcher_; }
  uv_loop_t* get() { return dispatcher_->loop(); }

  // Runs the loop until `condition` holds; false if it still does not after 30 s.
  bool runUntil(const std::function<bool()>& condition) {
    bool expired = false;
    event::TimerPtr watchdog = dispatcher_->createTimer([&expired] { expired = true; });
    watchdog->enable(std::chrono::seconds(30));
    for (;;) {
      uv_run(get(), UV_RUN_NOWAIT);
      if (condition() || expired) {
        return condition();
      }
      waitForTheNextEvent();
    }
  }

  // Runs until nothing but the dispatcher's wake-up handle is left: every timer fired or
  // stopped, every close done.
  void runUntilIdle() {
    for (;;) {
      uv_run(get(), UV_RUN_NOWAIT);
      if (busyHandles() == 0) {
        return;
      }
      waitForTheNextEvent();
    }
  }

  // Thread-safe: makes a runUntil() on the loop thread re-check its condition.
  void wakeUp() {
    dispatcher_->post([] {});
  }

 private:
  // The loop runs a pass at a time (UV_RUN_NOWAIT) and waits outside it, so the caller checks
  // its condition after every pass. UV_RUN_ONCE would not do: it runs due timers first and then
  // still blocks in its poll until the next event, long after a timer's callback made the
  // condition true.
  void waitForTheNextEvent() {
    pollfd backend{.fd = uv_backend_fd(get()), .events = POLLIN, .revents = 0};
    ::poll(&backend, 1, uv_backend_timeout(get()));
  }

  // The dispatcher's wake-up handle is its only async handle and is always active.
  static bool isDispatchers(const uv_handle_t* handle) {
    return uv_handle_get_type(handle) == UV_ASYNC;
  }

  size_t busyHandles() {
    size_t busy = 0;
    uv_walk(
        get(),
        [](uv_handle_t* handle, void* count) {
          if (isDispatchers(handle)) {
            return;
          }
          if (uv_is_closing(handle) != 0 ||
              (uv_is_active(handle) != 0 && uv_has_ref(handle) != 0)) {
            ++*static_cast<size_t*>(count);
          }
        },
        &busy);
    return busy;
  }

  std::vector<std::string> openHandles() {
    std::vector<std::string> open;
    uv_walk(
        get(),
        [](uv_handle_t* handle, void* names) {
          if (!isDispatchers(handle) && uv_is_closing(handle) == 0) {
            static_cast<std::vector<std::string>*>(names)->push_back(
                uv_handle_type_name(uv_handle_get_type(handle)));
          }
        },
        &open);
    return open;
  }

  event::LibuvDispatcherPtr dispatcher_;
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
