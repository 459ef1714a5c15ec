#include "daemon/event/network_table.h"

#include "absl/strings/str_cat.h"

namespace pfd::event {

namespace {

// The kernel's identity of a route: a replace swaps the route with the same one of these.
std::string routeSlot(const NetworkChange& change) {
  return absl::StrCat(change.ipv6 ? "6" : "4", " ", change.table, " ", change.prefix, " ",
                      change.priority);
}

std::string routeKey(const NetworkChange& change) {
  return absl::StrCat(routeSlot(change), " ", change.gateway, " ", change.interface_index);
}

}  // namespace

bool NetworkTable::apply(const NetworkChange& change) {
  if (!change.isRoute()) {
    const std::string key = absl::StrCat(change.interface_index, " ", change.prefix);
    if (change.added()) {
      return addresses_.insert(key).second;
    }
    addresses_.erase(key);
    return true;
  }
  const std::string key = routeKey(change);
  if (!change.added()) {
    routes_.erase(key);
    return true;
  }
  if (!change.replaces) {
    return routes_.insert(key).second;
  }
  // A replace announces only the new route; the one it replaced goes without a message.
  const std::string slot = absl::StrCat(routeSlot(change), " ");
  bool replaced_other = false;
  absl::erase_if(routes_, [&](const std::string& known) {
    if (known.starts_with(slot) && known != key) {
      replaced_other = true;
      return true;
    }
    return false;
  });
  const bool inserted = routes_.insert(key).second;
  return inserted || replaced_other;
}

}  // namespace pfd::event
