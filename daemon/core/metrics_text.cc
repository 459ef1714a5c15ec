#include "daemon/core/metrics_text.h"

#include <array>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace pfd::core {
namespace {

constexpr std::array<ForwardState, 7> kStates{
    ForwardState::kStarting, ForwardState::kReady,   ForwardState::kUnhealthy,
    ForwardState::kBackoff,  ForwardState::kStopped, ForwardState::kFailed,
    ForwardState::kIdle,
};

// Go's strconv.ParseFloat reads this back exactly enough for seconds and counts.
std::string number(double value) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.9g", value);
  return std::string(text.data());
}

void family(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// `{forward="NAME"` without the closing brace, so callers can add labels.
std::string forwardLabel(const ForwardMetrics& forward) {
  return absl::StrCat("{forward=\"", escapeLabelValue(forward.name), "\"");
}

template <typename Value>
void counterPerConnection(std::string& out, const MetricsSnapshot& snapshot,
                          const std::vector<std::string>& labels, absl::string_view name,
                          absl::string_view type, absl::string_view help, Value value) {
  family(out, name, type, help);
  for (size_t i = 0; i < snapshot.forwards.size(); ++i) {
    const ForwardMetrics& forward = snapshot.forwards[i];
    if (forward.connections.has_value()) {
      absl::StrAppend(&out, name, labels[i], "} ", value(*forward.connections), "\n");
    }
  }
}

}  // namespace

void HealHistogram::observe(double seconds) {
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      buckets[i]++;
      break;
    }
  }
  count++;
  sum_seconds += seconds;
}

std::string escapeLabelValue(absl::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case '"':
        escaped += "\\\"";
        break;
      case '\n':
        escaped += "\\n";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string renderMetrics(const MetricsSnapshot& snapshot) {
  std::string out;
  out.reserve(256 + snapshot.forwards.size() * 2600);
  std::vector<std::string> labels;
  labels.reserve(snapshot.forwards.size());
  for (const ForwardMetrics& forward : snapshot.forwards) {
    labels.push_back(forwardLabel(forward));
  }

  family(out, "pfd_forward_state", "gauge", "1 for the state the forward is in, 0 for the others.");
  for (size_t i = 0; i < snapshot.forwards.size(); ++i) {
    for (ForwardState state : kStates) {
      absl::StrAppend(&out, "pfd_forward_state", labels[i], ",state=\"", forwardStateName(state),
                      "\"} ", snapshot.forwards[i].state == state ? "1" : "0", "\n");
    }
  }

  family(out, "pfd_forward_restarts_total", "counter",
         "Children (kubectl or the command) started after the first one.");
  for (size_t i = 0; i < snapshot.forwards.size(); ++i) {
    absl::StrAppend(&out, "pfd_forward_restarts_total", labels[i], "} ",
                    snapshot.forwards[i].restarts, "\n");
  }

  counterPerConnection(out, snapshot, labels, "pfd_forward_connections_active", "gauge",
                       "Connections relayed right now through the forward's held ports.",
                       [](const ConnectionCounters& c) { return c.active; });
  counterPerConnection(out, snapshot, labels, "pfd_forward_connections_held", "gauge",
                       "Connections held right now, waiting for a kubectl that serves.",
                       [](const ConnectionCounters& c) { return c.held; });
  counterPerConnection(out, snapshot, labels, "pfd_forward_connections_total", "counter",
                       "Connections accepted on the forward's held ports.",
                       [](const ConnectionCounters& c) { return c.accepted; });
  counterPerConnection(out, snapshot, labels, "pfd_forward_connections_dropped_total", "counter",
                       "Connections closed without being relayed (holdTimeout, FAILED, stopped).",
                       [](const ConnectionCounters& c) { return c.dropped; });
  counterPerConnection(out, snapshot, labels, "pfd_forward_connections_failed_total", "counter",
                       "Connections whose upstream refused or reset them.",
                       [](const ConnectionCounters& c) { return c.failed; });
  counterPerConnection(
      out, snapshot, labels, "pfd_forward_connections_replayed_total", "counter",
      "Connections sent again to another kubectl after their upstream failed unanswered.",
      [](const ConnectionCounters& c) { return c.replayed; });
  counterPerConnection(out, snapshot, labels, "pfd_forward_received_bytes_total", "counter",
                       "Bytes from clients to the pod through the held ports.",
                       [](const ConnectionCounters& c) { return c.bytes_in; });
  counterPerConnection(out, snapshot, labels, "pfd_forward_sent_bytes_total", "counter",
                       "Bytes from the pod to clients through the held ports.",
                       [](const ConnectionCounters& c) { return c.bytes_out; });

  family(out, "pfd_forward_probe_success", "gauge",
         "1 if the last readiness probe passed, 0 if it failed.");
  for (size_t i = 0; i < snapshot.forwards.size(); ++i) {
    if (const auto& probe = snapshot.forwards[i].probe; probe.has_value()) {
      absl::StrAppend(&out, "pfd_forward_probe_success", labels[i], "} ",
                      probe->success ? "1" : "0", "\n");
    }
  }
  family(out, "pfd_forward_probe_duration_seconds", "gauge",
         "How long the last readiness probe took.");
  for (size_t i = 0; i < snapshot.forwards.size(); ++i) {
    if (const auto& probe = snapshot.forwards[i].probe; probe.has_value()) {
      absl::StrAppend(&out, "pfd_forward_probe_duration_seconds", labels[i], "} ",
                      number(probe->latency_seconds), "\n");
    }
  }

  family(out, "pfd_forward_heal_seconds", "histogram",
         "From leaving READY (BACKOFF, STARTING, UNHEALTHY) to READY again.");
  for (size_t i = 0; i < snapshot.forwards.size(); ++i) {
    const HealHistogram& heals = snapshot.forwards[i].heals;
    uint64_t cumulative = 0;
    for (size_t b = 0; b < HealHistogram::kBounds.size(); ++b) {
      cumulative += heals.buckets[b];
      absl::StrAppend(&out, "pfd_forward_heal_seconds_bucket", labels[i], ",le=\"",
                      number(HealHistogram::kBounds[b]), "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "pfd_forward_heal_seconds_bucket", labels[i], ",le=\"+Inf\"} ",
                    heals.count, "\n", "pfd_forward_heal_seconds_sum", labels[i], "} ",
                    number(heals.sum_seconds), "\n", "pfd_forward_heal_seconds_count", labels[i],
                    "} ", heals.count, "\n");
  }

  family(out, "pfd_cluster_up", "gauge",
         "0 while a check found the cluster's API server down, else 1.");
  for (const ClusterMetrics& cluster : snapshot.clusters) {
    absl::StrAppend(&out, "pfd_cluster_up{context=\"", escapeLabelValue(cluster.context),
                    "\",kubeconfig=\"", escapeLabelValue(cluster.kubeconfig), "\"} ",
                    cluster.up ? "1" : "0", "\n");
  }
  return out;
}

}  // namespace pfd::core
