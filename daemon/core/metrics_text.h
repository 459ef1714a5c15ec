#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/core/forward_state.h"
#include "daemon/core/port_holder.h"

namespace pfd::core {

// How long forwards took to serve again after they stopped serving (HealTimes), in the
// Prometheus histogram's buckets: from a quick kubectl restart (tens of ms) to a cluster outage
// (minutes).
struct HealHistogram {
  static constexpr std::array<double, 12> kBounds{0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                                  5,    10,  30,   60,  120, 300};
  std::array<uint64_t, kBounds.size()> buckets{};  // observations <= kBounds[i], not cumulative
  uint64_t count = 0;
  double sum_seconds = 0;

  void observe(double seconds);
};

// One forward, as GET /metrics shows it. Filled from the accessors `pfctl status` uses.
struct ForwardMetrics {
  std::string name;
  ForwardState state = ForwardState::kStopped;
  uint64_t restarts = 0;
  std::optional<ConnectionCounters> connections;  // only forwards that hold their ports
  struct Probe {
    bool success = false;
    double latency_seconds = 0;
  };
  std::optional<Probe> probe;  // the last readiness probe's result; none without a probe
  HealHistogram heals;
};

// One cluster (kubeconfig + context) that some forward uses.
struct ClusterMetrics {
  std::string context;     // "" while kubeconfig's current context is not known
  std::string kubeconfig;  // "" for kubectl's default
  bool up = true;
};

struct MetricsSnapshot {
  std::vector<ForwardMetrics> forwards;
  std::vector<ClusterMetrics> clusters;
};

// The Prometheus text exposition format (version 0.0.4): every family with its HELP and TYPE,
// even when it has no sample.
std::string renderMetrics(const MetricsSnapshot& snapshot);

// A label value as the format spells it: \ " and newline escaped.
std::string escapeLabelValue(absl::string_view value);

}  // namespace pfd::core
