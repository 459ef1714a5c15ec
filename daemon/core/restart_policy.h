#pragma once

#include <optional>

#include "daemon/core/forward_spec.h"

namespace pfd::core {

// How long to wait before restart number `consecutive_failures` (0 for the first retry after a
// run that ended): initial * multiplier^n, capped at max, then shortened by up to `jitter` of
// itself so that forwards that broke together do not retry in lock-step. Never exceeds max.
// `random_unit` is uniform in [0, 1); tests pass fixed values.
Milliseconds restartDelay(const BackoffSpec& backoff, int consecutive_failures, double random_unit);

// A forward that stayed READY this long and then broke was most likely moved under its feet (a
// pod replaced, a connection dropped): its first retry is immediate, later ones back off as usual.
// Shorter runs back off at once, so a forward that breaks right after it becomes READY cannot spin.
inline constexpr Milliseconds kHealthyRun{1000};

// One forward's restart history: how many failures in a row, and whether its one immediate retry
// is spent. A run that stayed READY for resetAfter proves the forward healthy again and earns both
// back (systemd's and Tilt's rule: the next delay starts from `initial`), so a forward that keeps
// breaking after a few seconds of READY backs off like any other instead of restarting at once each
// time.
class RestartBudget {
 public:
  // The delay before the next start after a run that ended. `ready_for` is how long it was READY
  // (nothing if never); `may_retry_at_once` is false when the way it ended says nothing moved
  // (a failed readiness probe).
  Milliseconds afterRun(const BackoffSpec& backoff, std::optional<Milliseconds> ready_for,
                        bool may_retry_at_once, double random_unit);
  // The delay after a start that failed before it ran (no pod, the API server did not answer).
  Milliseconds afterFailedStart(const BackoffSpec& backoff, double random_unit);
  // A user's start or restart, or a new spec: a fresh history.
  void reset() { *this = RestartBudget(); }

 private:
  int consecutive_failures_ = 0;
  bool at_once_spent_ = false;
};

}  // namespace pfd::core
