#pragma once

#include "daemon/core/forward_spec.h"

namespace pfd::core {

// How long to wait before restart number `consecutive_failures` (0 for the first retry after a
// run that ended): initial * multiplier^n, capped at max, then shortened by up to `jitter` of
// itself so that forwards that broke together do not retry in lock-step. Never exceeds max.
// `random_unit` is uniform in [0, 1); tests pass fixed values.
Milliseconds restartDelay(const BackoffSpec& backoff, int consecutive_failures, double random_unit);

// A run that stayed READY for reset_after proves the forward healthy again: its failures are
// forgiven and the next delay starts from `initial` (systemd's and Tilt's rule).
int failuresAfterRun(const BackoffSpec& backoff, int consecutive_failures, Milliseconds ready_for);

// A forward that stayed READY this long and then broke was most likely moved under its feet (a
// pod replaced, a connection dropped): its first retry is immediate, later ones back off as usual.
// Shorter runs back off at once, so a forward that breaks right after it becomes READY cannot spin.
inline constexpr Milliseconds kHealthyRun{1000};
inline bool restartAtOnce(Milliseconds ready_for) { return ready_for >= kHealthyRun; }

}  // namespace pfd::core
