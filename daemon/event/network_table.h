#pragma once

#include <string>

#include "absl/container/flat_hash_set.h"
#include "daemon/event/netlink_messages.h"

namespace pfd::event {

// The addresses and routes pfd has heard of, so that an announcement which changes nothing is not
// taken for a change. The kernel re-announces an IPv6 address on every router advertisement that
// refreshes its lifetimes, and the same for routes learnt from them; without this, every one would
// look like a network change. A removal of something never heard of (it existed before pfd
// started listening) is still a change.
class NetworkTable {
 public:
  // Records `change`; says whether it changed anything.
  bool apply(const NetworkChange& change);

 private:
  absl::flat_hash_set<std::string> addresses_;
  absl::flat_hash_set<std::string> routes_;
};

}  // namespace pfd::event
