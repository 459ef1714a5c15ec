#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "daemon/event/dispatcher.h"

namespace pfd::testing {

// A Dispatcher whose clock only moves when the test says so (Envoy's SimulatedTimeSystem is the
// model). advance() fires due timers in deadline order and runs posted callbacks in between.
class SimulatedDispatcher : public event::Dispatcher {
 public:
  SimulatedDispatcher();
  ~SimulatedDispatcher() override;

  event::MonotonicTime monotonicTime() const override { return monotonic_now_; }
  event::SystemTime systemTime() const override { return system_now_; }
  void post(absl::AnyInvocable<void() &&> callback) override;
  event::TimerPtr createTimer(std::function<void()> callback) override;

  // Runs posted callbacks (and those they post) until none are left.
  void runPosted();
  // Moves time forward by `duration`, firing every timer that falls due on the way.
  void advance(std::chrono::milliseconds duration);
  // Milliseconds until the earliest enabled timer, or -1 when none is enabled.
  long long nextTimerIn() const;
  size_t enabledTimers() const;

 private:
  class SimulatedTimer;
  friend class SimulatedTimer;

  event::MonotonicTime monotonic_now_;
  event::SystemTime system_now_;
  std::deque<absl::AnyInvocable<void() &&>> posted_;
  std::vector<SimulatedTimer*> timers_;
  uint64_t sequence_ = 0;  // ties between equal deadlines fire in arming order
};

}  // namespace pfd::testing
