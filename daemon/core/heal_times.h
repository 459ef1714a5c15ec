#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "daemon/core/metrics_text.h"
#include "daemon/core/supervisor.h"
#include "daemon/event/dispatcher.h"

namespace pfd::core {

// Times each forward's heals from the state changes the supervisor reports (as the Watch stream
// sees them): a heal starts when a READY forward goes to STARTING, BACKOFF or UNHEALTHY, and ends
// when it is READY again. STOPPED, FAILED and IDLE end it unmeasured (nothing was healing); a
// forward's first start is not a heal; a pod switch never leaves READY, so it is not one either.
class HealTimes : public SupervisorListener {
 public:
  explicit HealTimes(const event::TimeSource& clock) : clock_(clock) {}

  void onStateChanged(const Forward& forward, ForwardState previous,
                      const std::string& reason) override;
  void onLogLine(const Forward& /*forward*/, const LogLine& /*line*/) override {}

  // The named forward's heals so far (empty when it never healed).
  HealHistogram of(const std::string& name) const;
  // Forgets forwards no longer configured, so a removed name does not stay forever.
  void retainOnly(const std::set<std::string>& names);

 private:
  struct Entry {
    std::optional<event::MonotonicTime> broken_since;
    HealHistogram heals;
  };
  const event::TimeSource& clock_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace pfd::core
