#pragma once

#include <string>
#include <vector>

#include "daemon/core/forward_state.h"

namespace pfd::core {

struct ForwardStatusEntry {
  std::string name;
  ForwardState state = ForwardState::kStopped;
};

// One line for a prompt or status bar, and whether all is well.
struct StatusSummary {
  std::string line;     // "pfd: 12/13 ready, web down"
  bool healthy = true;  // every forward that should run is READY or IDLE
};

// Summarises the forwards: STOPPED ones (disabled, or stopped by the user) are left out, IDLE ones
// (start: onDemand, waiting for a connection) count as ready, and the others are named with what
// they are doing ("web down", "api starting"), at most three, then "+N more".
StatusSummary summarizeForwards(const std::vector<ForwardStatusEntry>& forwards);

}  // namespace pfd::core
