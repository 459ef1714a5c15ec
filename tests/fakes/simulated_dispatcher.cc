#include "tests/fakes/simulated_dispatcher.h"

#include <algorithm>
#include <utility>

namespace pfd::testing {

class SimulatedDispatcher::SimulatedTimer : public event::Timer {
 public:
  SimulatedTimer(SimulatedDispatcher& owner, std::function<void()> callback)
      : owner_(owner), callback_(std::make_shared<std::function<void()>>(std::move(callback))) {
    owner_.timers_.push_back(this);
  }
  ~SimulatedTimer() override { std::erase(owner_.timers_, this); }

  void enable(std::chrono::milliseconds delay) override {
    enabled_ = true;
    deadline_ = owner_.monotonic_now_ + delay;
    sequence_ = owner_.sequence_++;
  }
  void disable() override { enabled_ = false; }
  bool enabled() const override { return enabled_; }

  bool enabled_ = false;
  event::MonotonicTime deadline_;
  uint64_t sequence_ = 0;

  // Production lets a callback destroy its own timer (LibuvTimer keeps the callback in a block
  // that outlives it), so the callback runs from a reference of its own and nothing of `this` is
  // touched after it.
  void fire() {
    enabled_ = false;
    std::shared_ptr<std::function<void()>> callback = callback_;
    (*callback)();
  }

 private:
  SimulatedDispatcher& owner_;
  std::shared_ptr<std::function<void()>> callback_;
};

SimulatedDispatcher::SimulatedDispatcher()
    : monotonic_now_(std::chrono::hours(1000)),
      system_now_(std::chrono::sys_days(std::chrono::year(2026) / 11 / 24)) {}

SimulatedDispatcher::~SimulatedDispatcher() { posted_.clear(); }

void SimulatedDispatcher::post(absl::AnyInvocable<void() &&> callback) {
  posted_.push_back(std::move(callback));
}

event::TimerPtr SimulatedDispatcher::createTimer(std::function<void()> callback) {
  return std::make_unique<SimulatedTimer>(*this, std::move(callback));
}

void SimulatedDispatcher::runPosted() {
  while (!posted_.empty()) {
    auto callback = std::move(posted_.front());
    posted_.pop_front();
    std::move(callback)();
  }
}

void SimulatedDispatcher::advance(std::chrono::milliseconds duration) {
  const event::MonotonicTime end = monotonic_now_ + duration;
  runPosted();
  while (true) {
    SimulatedTimer* next = nullptr;
    for (SimulatedTimer* timer : timers_) {
      if (timer->enabled_ && timer->deadline_ <= end &&
          (next == nullptr || timer->deadline_ < next->deadline_ ||
           (timer->deadline_ == next->deadline_ && timer->sequence_ < next->sequence_))) {
        next = timer;
      }
    }
    if (next == nullptr) {
      break;
    }
    const auto step = next->deadline_ - monotonic_now_;
    monotonic_now_ += step;
    system_now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(step);
    next->fire();
    runPosted();
  }
  const auto rest = end - monotonic_now_;
  monotonic_now_ = end;
  system_now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(rest);
  runPosted();
}

long long SimulatedDispatcher::nextTimerIn() const {
  long long best = -1;
  for (const SimulatedTimer* timer : timers_) {
    if (!timer->enabled_) {
      continue;
    }
    auto in =
        std::chrono::duration_cast<std::chrono::milliseconds>(timer->deadline_ - monotonic_now_)
            .count();
    if (best < 0 || in < best) {
      best = in;
    }
  }
  return best;
}

size_t SimulatedDispatcher::enabledTimers() const {
  return static_cast<size_t>(std::count_if(timers_.begin(), timers_.end(),
                                           [](const SimulatedTimer* t) { return t->enabled_; }));
}

}  // namespace pfd::testing
