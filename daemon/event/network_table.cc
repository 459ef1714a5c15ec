#include "daemon/event/network_table.h"

#include "absl/strings/str_cat.h"

namespace pfd::event {

namespace {

std::string routeSlot(const NetworkChange& change) {
  return absl::StrCat(change.ipv6 ? "6" : "4", " ", change.table, " ", change.prefix, " ",
                      change.priority);
}

}  // namespace

bool NetworkTable::apply(const NetworkChange& change) {
  if (change.isAddress()) {
    return applyAddress(change);
  }
  if (change.isRoute()) {
    return applyRoute(change);
  }
  return applyLink(change);
}

bool NetworkTable::applyAddress(const NetworkChange& change) {
  const std::string key = absl::StrCat(change.interface_index, " ", change.prefix);
  if (change.added()) {
    return addresses_.emplace(key, change.interface_index).second;
  }
  addresses_.erase(key);
  return true;
}

bool NetworkTable::applyRoute(const NetworkChange& change) {
  const std::string slot = routeSlot(change);
  const std::string key = absl::StrCat(slot, " ", change.gateway, " ", change.interface_index);
  if (!change.added()) {
    routes_.erase(key);
    return true;
  }
  bool replaced_other = false;
  if (change.replaces) {
    // A replace announces only the new route; the one it replaced goes without a message.
    absl::erase_if(routes_, [&](const auto& known) {
      if (known.second.slot == slot && known.first != key) {
        replaced_other = true;
        return true;
      }
      return false;
    });
  }
  const bool inserted =
      routes_.emplace(key, Route{.slot = slot, .interface_index = change.interface_index}).second;
  return inserted || replaced_other;
}

bool NetworkTable::applyLink(const NetworkChange& change) {
  const int index = change.interface_index;
  // Links carrying nothing pfd could use (a container's veth, a bridge port) come and go without
  // being a change; links with an address or route are.
  const bool matters = knowsAnythingOn(index);
  if (change.kind == NetworkChange::Kind::kLinkRemoved) {
    links_.erase(index);
    // Its addresses are announced as removed; its routes go without a message.
    absl::erase_if(addresses_, [&](const auto& known) { return known.second == index; });
    forgetRoutesOn(index);
    return matters;
  }
  const Link now{.up = change.link_up, .running = change.link_running};
  auto [known, first_seen] = links_.try_emplace(index, now);
  if (first_seen) {
    return false;
  }
  const Link before = known->second;
  known->second = now;
  if (before.up && !now.up) {
    // Taking a link down removes its IPv4 routes without a message; coming back up announces
    // them, and that must read as new.
    forgetRoutesOn(index);
  }
  return matters && before.running != now.running;
}

bool NetworkTable::knowsAnythingOn(int interface_index) const {
  for (const auto& [key, index] : addresses_) {
    if (index == interface_index) {
      return true;
    }
  }
  for (const auto& [key, route] : routes_) {
    if (route.interface_index == interface_index) {
      return true;
    }
  }
  return false;
}

void NetworkTable::forgetRoutesOn(int interface_index) {
  absl::erase_if(
      routes_, [&](const auto& known) { return known.second.interface_index == interface_index; });
}

}  // namespace pfd::event
