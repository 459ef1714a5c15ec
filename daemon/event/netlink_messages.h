#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pfd::event {

// One address, route or link change the kernel announced over rtnetlink, already stripped of what
// cannot change how pfd reaches a cluster (see parseNetlinkMessages).
struct NetworkChange {
  enum class Kind {
    kAddressAdded,
    kAddressRemoved,
    kRouteAdded,
    kRouteRemoved,
    // A link's state as the kernel announced it (often unchanged: RTM_NEWLINK comes for many
    // reasons); NetworkTable decides whether it changed.
    kLinkState,
    kLinkRemoved,
  };

  Kind kind = Kind::kAddressAdded;
  bool ipv6 = false;
  // "127.0.0.9/8" for an address, "10.1.0.0/24" or "default" for a route's destination.
  std::string prefix;
  std::string gateway;         // routes: the next hop, empty when on-link
  int interface_index = 0;     // 0 when the message names none (a multipath route)
  std::string interface_name;  // when the message carries it (IFA_LABEL, IFLA_IFNAME)
  bool link_up = false;        // kLinkState: administratively up (IFF_UP)
  bool link_running = false;   // kLinkState: up and operational (IFF_RUNNING: carrier, associated)
  uint32_t table = 0;          // routes
  uint32_t priority = 0;       // routes: the metric
  bool replaces = false;       // routes: NLM_F_REPLACE, the route with this key was swapped
  // The netlink header's: a dump reply carries the sequence and port id of the request.
  uint32_t sequence = 0;
  uint32_t port_id = 0;

  bool isRoute() const { return kind == Kind::kRouteAdded || kind == Kind::kRouteRemoved; }
  bool isAddress() const { return kind == Kind::kAddressAdded || kind == Kind::kAddressRemoved; }
  bool isLink() const { return kind == Kind::kLinkState || kind == Kind::kLinkRemoved; }
  bool isDefaultRoute() const { return isRoute() && prefix == "default"; }
  bool added() const { return kind == Kind::kAddressAdded || kind == Kind::kRouteAdded; }
};

struct NetlinkDatagram {
  std::vector<NetworkChange> changes;
  // Sequence numbers of requests that ended (NLMSG_DONE after a dump, NLMSG_ERROR).
  std::vector<uint32_t> finished_requests;
};

// Parses one datagram read from a NETLINK_ROUTE socket (any number of messages). Keeps address
// and route additions and removals; leaves out what the kernel does on its own around them and
// what no cluster can be reached through:
// - routes of the local table and of local, broadcast, anycast or multicast type (the kernel adds
//   them with every address; the address change is reported instead), cloned (cache) routes;
// - IPv6 link-local addresses and routes (fe80::/10) and multicast routes (ff00::/8);
// - IPv6 addresses still tentative or whose duplicate address detection failed (the kernel
//   announces them again once usable).
// Links (RTM_NEWLINK, RTM_DELLINK) are passed on as their state. Other message types
// (neighbours) are skipped. A truncated or
// malformed message is an error; the messages before it are lost with it.
absl::StatusOr<NetlinkDatagram> parseNetlinkMessages(std::span<const uint8_t> datagram);

// "address 127.0.0.9/8 added on lo", "default route via 10.1.0.1 on eth0 removed", "link wlan0
// down", … The interface is `interface_name`, or `#INDEX` when that is empty.
std::string describeNetworkChange(const NetworkChange& change);

}  // namespace pfd::event
