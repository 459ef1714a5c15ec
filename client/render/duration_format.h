#pragma once

#include <string>

#include "absl/time/time.h"

namespace pfd::client {

// A duration the way kubectl prints AGE (k8s.io/apimachinery HumanDuration): exact seconds below
// two minutes, then fewer and coarser units as it grows: 45s, 3m12s, 15m, 5h, 5h30m, 2d, 3d4h, 1y.
// Clock skew of up to a second reads as 0s; anything more negative is "<invalid>".
std::string humanDuration(absl::Duration duration);

// A probe latency, precise enough to compare probes: 850us, 3ms, 1.2s.
std::string formatLatency(absl::Duration latency);

}  // namespace pfd::client
