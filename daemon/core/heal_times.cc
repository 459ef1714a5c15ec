#include "daemon/core/heal_times.h"

#include <chrono>

namespace pfd::core {

void HealTimes::onStateChanged(const Forward& forward, ForwardState previous,
                               const std::string& /*reason*/) {
  const ForwardState state = forward.state();
  switch (state) {
    case ForwardState::kReady: {
      auto found = entries_.find(forward.name());
      if (found != entries_.end() && found->second.broken_since.has_value()) {
        const std::chrono::duration<double> took =
            clock_.monotonicTime() - *found->second.broken_since;
        found->second.heals.observe(took.count());
        found->second.broken_since.reset();
      }
      return;
    }
    case ForwardState::kStarting:
    case ForwardState::kBackoff:
    case ForwardState::kUnhealthy:
      if (previous == ForwardState::kReady) {
        Entry& entry = entries_[forward.name()];
        if (!entry.broken_since.has_value()) {
          entry.broken_since = clock_.monotonicTime();
        }
      }
      return;
    case ForwardState::kStopped:
    case ForwardState::kFailed:
    case ForwardState::kIdle:
      if (auto found = entries_.find(forward.name()); found != entries_.end()) {
        found->second.broken_since.reset();
      }
      return;
  }
}

HealHistogram HealTimes::of(const std::string& name) const {
  auto found = entries_.find(name);
  return found == entries_.end() ? HealHistogram{} : found->second.heals;
}

void HealTimes::retainOnly(const std::set<std::string>& names) {
  std::erase_if(entries_, [&names](const auto& entry) { return !names.contains(entry.first); });
}

}  // namespace pfd::core
