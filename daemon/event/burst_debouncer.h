#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "daemon/event/dispatcher.h"

namespace pfd::event {

// Merges a burst of events into one report. An event opens a burst, or extends the open one; the
// burst is reported once `quiet` passed without an event, or `max_delay` after its first event
// even if events keep coming (a flapping link must not silence the report forever). The report
// carries every event's description once, in the order first seen, and how many events came.
class BurstDebouncer {
 public:
  struct Burst {
    std::vector<std::string> descriptions;  // distinct, in order of arrival
    int events = 0;                         // all of them, repeats included
  };
  using OnBurst = std::function<void(const Burst& burst)>;

  // `on_burst` may destroy the debouncer.
  BurstDebouncer(Dispatcher& dispatcher, std::chrono::milliseconds quiet,
                 std::chrono::milliseconds max_delay, OnBurst on_burst);
  BurstDebouncer(const BurstDebouncer&) = delete;
  BurstDebouncer& operator=(const BurstDebouncer&) = delete;

  void add(std::string description);
  bool pending() const { return timer_->enabled(); }

 private:
  void flush();

  Dispatcher& dispatcher_;
  std::chrono::milliseconds quiet_;
  std::chrono::milliseconds max_delay_;
  OnBurst on_burst_;
  MonotonicTime burst_started_;
  Burst burst_;
  TimerPtr timer_;
};

}  // namespace pfd::event
