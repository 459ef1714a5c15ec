#include "daemon/event/burst_debouncer.h"

#include <algorithm>
#include <utility>

namespace pfd::event {

BurstDebouncer::BurstDebouncer(Dispatcher& dispatcher, std::chrono::milliseconds quiet,
                               std::chrono::milliseconds max_delay, OnBurst on_burst)
    : dispatcher_(dispatcher),
      quiet_(quiet),
      max_delay_(std::max(quiet, max_delay)),
      on_burst_(std::move(on_burst)),
      timer_(dispatcher.createTimer([this] { flush(); })) {}

void BurstDebouncer::add(std::string description) {
  const MonotonicTime now = dispatcher_.monotonicTime();
  if (burst_.events == 0) {
    burst_started_ = now;
  }
  ++burst_.events;
  if (std::find(burst_.descriptions.begin(), burst_.descriptions.end(), description) ==
      burst_.descriptions.end()) {
    burst_.descriptions.push_back(std::move(description));
  }
  const auto until_cap =
      std::chrono::duration_cast<std::chrono::milliseconds>(burst_started_ + max_delay_ - now);
  timer_->enable(std::clamp(until_cap, std::chrono::milliseconds(0), quiet_));
}

void BurstDebouncer::flush() {
  Burst burst = std::exchange(burst_, Burst());
  if (burst.events > 0) {
    // A copy, and last: the callback may destroy this debouncer (and with it on_burst_).
    OnBurst on_burst = on_burst_;
    on_burst(burst);
  }
}

}  // namespace pfd::event
