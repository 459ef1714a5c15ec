#include "daemon/event/network_table.h"

#include <linux/rtnetlink.h>

#include "gtest/gtest.h"

namespace pfd::event {
namespace {

using Kind = NetworkChange::Kind;

NetworkChange address(Kind kind, const std::string& prefix, int interface_index = 1) {
  return NetworkChange{.kind = kind, .prefix = prefix, .interface_index = interface_index};
}

NetworkChange defaultRoute(Kind kind, const std::string& gateway, bool replaces = false) {
  return NetworkChange{.kind = kind,
                       .prefix = "default",
                       .gateway = gateway,
                       .interface_index = 3,
                       .table = RT_TABLE_MAIN,
                       .replaces = replaces};
}

TEST(NetworkTableTest, NewAddressIsAChangeItsRepeatIsNot) {
  NetworkTable table;
  EXPECT_TRUE(table.apply(address(Kind::kAddressAdded, "2001:db8::5/64")));
  // A router advertisement refreshing the lifetimes announces it again.
  EXPECT_FALSE(table.apply(address(Kind::kAddressAdded, "2001:db8::5/64")));
  EXPECT_TRUE(table.apply(address(Kind::kAddressAdded, "2001:db8::5/64", 2)));
}

TEST(NetworkTableTest, RemovalIsAChangeEvenOfAnAddressNeverHeardOf) {
  NetworkTable table;
  EXPECT_TRUE(table.apply(address(Kind::kAddressRemoved, "10.0.0.5/24")));
  EXPECT_TRUE(table.apply(address(Kind::kAddressAdded, "10.0.0.5/24")));
  EXPECT_TRUE(table.apply(address(Kind::kAddressRemoved, "10.0.0.5/24")));
  // Removed, so adding it back is a change again.
  EXPECT_TRUE(table.apply(address(Kind::kAddressAdded, "10.0.0.5/24")));
}

TEST(NetworkTableTest, RepeatedRouteIsNotAChange) {
  NetworkTable table;
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
  EXPECT_FALSE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteRemoved, "10.0.0.1")));
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
}

TEST(NetworkTableTest, ReplaceSwapsTheRouteInTheSameSlot) {
  NetworkTable table;
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.2", /*replaces=*/true)));
  // The same replace again changes nothing.
  EXPECT_FALSE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.2", /*replaces=*/true)));
  // The old route is gone from the table: its return is a change.
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1", /*replaces=*/true)));
}

TEST(NetworkTableTest, ReplaceLeavesOtherSlotsAlone) {
  NetworkTable table;
  NetworkChange other_metric = defaultRoute(Kind::kRouteAdded, "10.0.0.9");
  other_metric.priority = 600;
  EXPECT_TRUE(table.apply(other_metric));
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.2", /*replaces=*/true)));
  EXPECT_FALSE(table.apply(other_metric));
}

NetworkChange link(int interface_index, bool up, bool running) {
  return NetworkChange{.kind = Kind::kLinkState,
                       .interface_index = interface_index,
                       .link_up = up,
                       .link_running = running};
}

TEST(NetworkTableTest, LinkIsLearntSilentlyThenItsStateChangesAreChanges) {
  NetworkTable table;
  EXPECT_FALSE(table.apply(link(3, true, true)));
  EXPECT_TRUE(table.apply(address(Kind::kAddressAdded, "10.0.0.5/24", 3)));
  EXPECT_FALSE(table.apply(link(3, true, true)));  // an MTU change, a Wi-Fi event
  EXPECT_TRUE(table.apply(link(3, true, false)));  // carrier lost
  EXPECT_FALSE(table.apply(link(3, true, false)));
  EXPECT_TRUE(table.apply(link(3, true, true)));
}

TEST(NetworkTableTest, LinkWithoutAddressesOrRoutesIsNotAChange) {
  NetworkTable table;
  // A container's veth: up, down, gone.
  EXPECT_FALSE(table.apply(link(8, false, false)));
  EXPECT_FALSE(table.apply(link(8, true, true)));
  EXPECT_FALSE(table.apply(link(8, false, false)));
  EXPECT_FALSE(table.apply(NetworkChange{.kind = Kind::kLinkRemoved, .interface_index = 8}));
}

TEST(NetworkTableTest, RoutesOfALinkTakenDownAreForgotten) {
  NetworkTable table;
  EXPECT_FALSE(table.apply(link(3, true, true)));
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
  EXPECT_TRUE(table.apply(link(3, false, false)));
  EXPECT_FALSE(table.apply(link(3, true, false)));  // no address or route known on it any more
  // The kernel removed the route without a message; when it is added back, that is news.
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
}

TEST(NetworkTableTest, RemovedLinkTakesItsAddressesAndRoutesAlong) {
  NetworkTable table;
  EXPECT_FALSE(table.apply(link(3, true, true)));
  EXPECT_TRUE(table.apply(address(Kind::kAddressAdded, "10.0.0.5/24", 3)));
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
  EXPECT_TRUE(table.apply(NetworkChange{.kind = Kind::kLinkRemoved, .interface_index = 3}));
  // A new link that reuses nothing: its address and route are new.
  EXPECT_TRUE(table.apply(address(Kind::kAddressAdded, "10.0.0.5/24", 3)));
  EXPECT_TRUE(table.apply(defaultRoute(Kind::kRouteAdded, "10.0.0.1")));
}

}  // namespace
}  // namespace pfd::event
