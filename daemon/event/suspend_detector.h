#pragma once

#include <chrono>
#include <functional>

#include "daemon/event/dispatcher.h"

namespace pfd::event {

// The two kernel clocks whose difference is the time spent suspended. A seam, so that tests can
// suspend a simulated machine.
struct SuspendClocks {
  std::function<std::chrono::nanoseconds()> boottime;   // runs during suspend
  std::function<std::chrono::nanoseconds()> monotonic;  // stops during suspend

  // CLOCK_BOOTTIME and CLOCK_MONOTONIC from clock_gettime.
  static SuspendClocks system();
};

// Notices that the machine was suspended and has resumed, without any bus: CLOCK_BOOTTIME counts
// the time spent suspended and CLOCK_MONOTONIC does not, so the difference between them grows by
// exactly the time asleep and by nothing else. A timer that fires late on a loaded machine, a
// stopped process (SIGSTOP) or a wall clock step moves both clocks alike and is never mistaken for
// a suspend. Each check compares the difference with the previous check's; growth over
// `threshold` is one resume, reported once with how long the machine slept.
class SuspendDetector {
 public:
  using OnResume = std::function<void(std::chrono::milliseconds asleep)>;

  struct Options {
    // How often the clocks are compared: a resume is noticed at most this long after it. The
    // network usually needs longer than that to come back after a resume (Wi-Fi associates, DHCP,
    // a VPN reconnects), and one wake-up every two seconds costs nothing measurable.
    std::chrono::milliseconds period{2000};
    // Shorter suspends are not reported: TCP connections (and kubectl's streams) survive a pause
    // of a few seconds, so restarting every forward for one would do more harm than good. The
    // clock difference does not depend on when the timer fires, so this need not cover timer
    // lateness.
    std::chrono::milliseconds threshold{3000};
  };

  // Starts checking at once (the first check is one period from now). `on_resume` may destroy the
  // detector.
  SuspendDetector(Dispatcher& dispatcher, SuspendClocks clocks, OnResume on_resume,
                  Options options);
  SuspendDetector(Dispatcher& dispatcher, SuspendClocks clocks, OnResume on_resume)
      : SuspendDetector(dispatcher, std::move(clocks), std::move(on_resume), Options()) {}
  SuspendDetector(const SuspendDetector&) = delete;
  SuspendDetector& operator=(const SuspendDetector&) = delete;

  // Compares the clocks now rather than at the next tick (e.g. when logind says the machine
  // resumed). Also re-arms the periodic check.
  void checkNow();

 private:
  std::chrono::nanoseconds clockGap() const;

  SuspendClocks clocks_;
  OnResume on_resume_;
  Options options_;
  std::chrono::nanoseconds last_gap_;
  TimerPtr timer_;
};

}  // namespace pfd::event
