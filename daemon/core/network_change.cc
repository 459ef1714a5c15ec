#include "daemon/core/network_change.h"

namespace pfd::core {
namespace {

std::optional<uint64_t> bytesFromKubectl(const Forward& forward) {
  std::optional<ConnectionCounters> counters = forward.connections();
  if (!counters.has_value()) {
    return std::nullopt;
  }
  return counters->bytes_out;
}

}  // namespace

AfterNetworkChange afterNetworkChange(bool cluster_differs, std::optional<uint64_t> bytes_before,
                                      std::optional<uint64_t> bytes_now) {
  if (cluster_differs) {
    return AfterNetworkChange::kRestart;
  }
  if (bytes_before.has_value() && bytes_now.has_value() && *bytes_now > *bytes_before) {
    return AfterNetworkChange::kKeep;
  }
  return AfterNetworkChange::kRestartDraining;
}

NetworkChangeSnapshot NetworkChangeSnapshot::take(const std::vector<Forward*>& forwards) {
  NetworkChangeSnapshot snapshot;
  for (const Forward* forward : forwards) {
    if (forward->cluster() != nullptr && forward->healable()) {
      snapshot.bytes_[forward->name()] = bytesFromKubectl(*forward);
    }
  }
  return snapshot;
}

NetworkChangeSnapshot::Outcome NetworkChangeSnapshot::apply(const Cluster& cluster,
                                                            bool cluster_differs,
                                                            const std::vector<Forward*>& forwards,
                                                            const std::string& why) const {
  Outcome outcome;
  for (Forward* forward : forwards) {
    auto seen = bytes_.find(forward->name());
    if (seen == bytes_.end() || forward->cluster() != &cluster || !forward->healable()) {
      continue;
    }
    switch (afterNetworkChange(cluster_differs, seen->second, bytesFromKubectl(*forward))) {
      case AfterNetworkChange::kKeep:
        outcome.kept++;
        break;
      case AfterNetworkChange::kRestartDraining:
        forward->heal(why, /*drain=*/true);
        outcome.restarted++;
        break;
      case AfterNetworkChange::kRestart:
        forward->heal(why);
        outcome.restarted++;
        break;
    }
  }
  return outcome;
}

}  // namespace pfd::core
