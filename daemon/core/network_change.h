#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/cluster.h"
#include "daemon/core/forward.h"

namespace pfd::core {

// What a network change (a new default route, an address come or gone) means for one running
// kubectl forward, once its cluster was checked after the change.
enum class AfterNetworkChange {
  kKeep,             // its kubectl forwarded bytes since the change: its connection works
  kRestartDraining,  // nothing seen since the change: a new kubectl; open connections stay on
                     // the old one until they close (up to drainTimeout), it may well be alive
  kRestart,          // the cluster answers differently: the old kubectl's connection went out
                     // the old way, its connections are as dead
};

// `bytes_before`/`bytes_now`: what the forward's held ports received from kubectl at the change
// and now; nullopt when pfd does not see its traffic (holdPort: false).
AfterNetworkChange afterNetworkChange(bool cluster_differs, std::optional<uint64_t> bytes_before,
                                      std::optional<uint64_t> bytes_now);

// Taken at a network change: what each running kubectl forward had received from kubectl, so
// that once its cluster answers, those that forwarded nothing since are told apart.
class NetworkChangeSnapshot {
 public:
  static NetworkChangeSnapshot take(const std::vector<Forward*>& forwards);

  struct Outcome {
    size_t restarted = 0;
    size_t kept = 0;
  };
  // Restarts (Forward::heal) the running forwards of `cluster` in `forwards` that the snapshot
  // saw, as afterNetworkChange says.
  Outcome apply(const Cluster& cluster, bool cluster_differs, const std::vector<Forward*>& forwards,
                const std::string& why) const;

 private:
  // By name: a reload may replace forwards before the cluster answers.
  std::map<std::string, std::optional<uint64_t>> bytes_;
};

}  // namespace pfd::core
