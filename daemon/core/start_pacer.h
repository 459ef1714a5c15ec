#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "daemon/core/forward_spec.h"
#include "daemon/event/dispatcher.h"

namespace pfd::core {

// A start waiting for its turn; destroying it takes it out of the line.
class PacedStart {
 public:
  virtual ~PacedStart() = default;
};
using PacedStartPtr = std::unique_ptr<PacedStart>;

// Spreads the starts of many forwards over time: at daemon start, on a reload, and when a
// cluster comes back, 200 forwards would otherwise fork 200 kubectl in one turn of the loop (a
// burst that starves the loop and the machine for a second). One start runs per `interval`; a
// start asked for when none ran within the last interval runs at once, inside the call, so a
// lone forward's heal is never delayed.
class StartPacer {
 public:
  StartPacer(event::Dispatcher& dispatcher, Milliseconds interval);
  ~StartPacer();
  StartPacer(const StartPacer&) = delete;
  StartPacer& operator=(const StartPacer&) = delete;

  // Runs `start` now (returning nullptr) or later in the order asked (returning its ticket).
  PacedStartPtr schedule(std::function<void()> start);
  size_t queued() const { return queue_.size(); }

 private:
  class Ticket;
  struct Entry {
    uint64_t id;
    std::function<void()> start;
  };
  void onTimer();
  void cancel(uint64_t id);

  event::Dispatcher& dispatcher_;
  const Milliseconds interval_;
  event::TimerPtr timer_;
  std::deque<Entry> queue_;
  std::optional<event::MonotonicTime> last_start_;
  uint64_t next_id_ = 1;
};

}  // namespace pfd::core
