#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "daemon/event/netlink_messages.h"

namespace pfd::event {

// The addresses, routes and links pfd has heard of, so that an announcement which changes nothing
// is not taken for a change. The kernel re-announces an IPv6 address on every router
// advertisement that refreshes its lifetimes, routes learnt from them likewise, and a link on
// many occasions (MTU, Wi-Fi events); without this, every one would look like a network change.
// What pfd never heard of (it existed before pfd started listening) counts as new: a removal of it
// is a change, and a link is learnt silently on its first announcement.
class NetworkTable {
 public:
  // Records `change`; says whether it changed anything.
  bool apply(const NetworkChange& change);

 private:
  struct Route {
    std::string slot;  // the kernel's identity of a route: what a replace swaps
    int interface_index = 0;
  };
  struct Link {
    bool up = false;
    bool running = false;
  };

  bool applyAddress(const NetworkChange& change);
  bool applyRoute(const NetworkChange& change);
  bool applyLink(const NetworkChange& change);
  bool knowsAnythingOn(int interface_index) const;
  void forgetRoutesOn(int interface_index);

  absl::flat_hash_map<std::string, int> addresses_;  // key → interface index
  absl::flat_hash_map<std::string, Route> routes_;   // key → slot, interface
  absl::flat_hash_map<int, Link> links_;
};

}  // namespace pfd::event
