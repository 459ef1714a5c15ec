#include "daemon/core/restart_policy.h"

#include <algorithm>
#include <cmath>

namespace pfd::core {

Milliseconds restartDelay(const BackoffSpec& backoff, int consecutive_failures,
                          double random_unit) {
  const double initial = static_cast<double>(backoff.initial.count());
  const double cap = static_cast<double>(backoff.max.count());
  // pow() overflows to inf for large attempt numbers, which min() then caps.
  const double grown = initial * std::pow(backoff.multiplier, std::max(consecutive_failures, 0));
  const double capped = std::min(grown, cap);
  const double unit = std::clamp(random_unit, 0.0, 1.0);
  const double jittered = capped * (1.0 - backoff.jitter * unit);
  return Milliseconds(static_cast<Milliseconds::rep>(std::llround(std::max(jittered, 0.0))));
}

int failuresAfterRun(const BackoffSpec& backoff, int consecutive_failures, Milliseconds ready_for) {
  return ready_for >= backoff.reset_after ? 0 : consecutive_failures;
}

}  // namespace pfd::core
