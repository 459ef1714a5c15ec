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

Milliseconds RestartBudget::afterRun(const BackoffSpec& backoff,
                                     std::optional<Milliseconds> ready_for, bool may_retry_at_once,
                                     double random_unit) {
  if (ready_for.has_value() && *ready_for >= backoff.reset_after) {
    reset();
  }
  if (may_retry_at_once && ready_for.has_value() && *ready_for >= kHealthyRun && !at_once_spent_) {
    at_once_spent_ = true;
    return Milliseconds(0);
  }
  return afterFailedStart(backoff, random_unit);
}

Milliseconds RestartBudget::afterFailedStart(const BackoffSpec& backoff, double random_unit) {
  return restartDelay(backoff, consecutive_failures_++, random_unit);
}

}  // namespace pfd::core
