#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pfd::event {

// One address or route change the kernel announced over rtnetlink, already stripped of what
// cannot change how pfd reaches a cluster (see parseNetlinkMessages).
struct NetworkChange {
  enum class Kind { kAddressAdded, kAddressRemoved, kRouteAdded, kRouteRemoved };

  Kind kind = Kind::kAddressAdded;
  bool ipv6 = false;
  // "127.0.0.9/8" for an address, "10.1.0.0/24" or "default" for a route's destination.
  std::string prefix;
  std::string gateway;         // routes: the next hop, empty when on-link
  int interface_index = 0;     // 0 when the message names none (a multipath route)
  std::string interface_name;  // when the message carries it (IPv4 addresses: IFA_LABEL)
  uint32_t table = 0;          // routes
  uint32_t priority = 0;       // routes: the metric
  bool replaces = false;       // routes: NLM_F_REPLACE, the route with this key was swapped

  bool isRoute() const { return kind == Kind::kRouteAdded || kind == Kind::kRouteRemoved; }
  bool isDefaultRoute() const { return isRoute() && prefix == "default"; }
  bool added() const { return kind == Kind::kAddressAdded || kind == Kind::kRouteAdded; }
};

// Parses one datagram read from a NETLINK_ROUTE socket (any number of messages). Keeps address
// and route additions and removals; leaves out what the kernel does on its own around them and
// what no cluster can be reached through:
// - routes of the local table and of local, broadcast, anycast or multicast type (the kernel adds
//   them with every address; the address change is reported instead), cloned (cache) routes;
// - IPv6 link-local addresses and routes (fe80::/10) and multicast routes (ff00::/8);
// - IPv6 addresses still tentative or whose duplicate address detection failed (the kernel
//   announces them again once usable).
// Other message types (links, neighbours, NLMSG_DONE, errors) are skipped. A truncated or
// malformed message is an error; the messages before it are lost with it.
absl::StatusOr<std::vector<NetworkChange>> parseNetlinkMessages(std::span<const uint8_t> datagram);

// "address 127.0.0.9/8 added on lo", "default route via 10.1.0.1 on eth0 removed", … The
// interface is `interface_name`, or `#INDEX` when that is empty.
std::string describeNetworkChange(const NetworkChange& change);

}  // namespace pfd::event
