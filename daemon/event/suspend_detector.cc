#include "daemon/event/suspend_detector.h"

#include <time.h>

#include <utility>

namespace pfd::event {

namespace {

std::chrono::nanoseconds readClock(clockid_t clock) {
  timespec now{};
  // Neither clock can fail on Linux ≥ 2.6.39 with a valid timespec; a zero would only hide
  // suspends, never invent one.
  clock_gettime(clock, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

}  // namespace

SuspendClocks SuspendClocks::system() {
  return SuspendClocks{
      .boottime = [] { return readClock(CLOCK_BOOTTIME); },
      .monotonic = [] { return readClock(CLOCK_MONOTONIC); },
  };
}

SuspendDetector::SuspendDetector(Dispatcher& dispatcher, SuspendClocks clocks, OnResume on_resume,
                                 Options options)
    : clocks_(std::move(clocks)), on_resume_(std::move(on_resume)), options_(options) {
  last_gap_ = clockGap();
  timer_ = dispatcher.createTimer([this] { checkNow(); });
  timer_->enable(options_.period);
}

std::chrono::nanoseconds SuspendDetector::clockGap() const {
  // Being preempted between the two reads makes this gap smaller by the delay (and the next one's
  // growth larger by it): microseconds, far below any threshold. A suspend between them is seen
  // by the next check.
  const std::chrono::nanoseconds boottime = clocks_.boottime();
  const std::chrono::nanoseconds monotonic = clocks_.monotonic();
  return boottime - monotonic;
}

void SuspendDetector::checkNow() {
  const std::chrono::nanoseconds gap = clockGap();
  const std::chrono::nanoseconds grown = gap - last_gap_;
  last_gap_ = gap;
  timer_->enable(options_.period);
  if (grown > options_.threshold) {
    // A copy, and last: the callback may destroy this detector (and with it on_resume_).
    OnResume on_resume = on_resume_;
    on_resume(std::chrono::duration_cast<std::chrono::milliseconds>(grown));
  }
}

}  // namespace pfd::event
