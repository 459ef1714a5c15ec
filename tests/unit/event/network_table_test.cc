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

}  // namespace
}  // namespace pfd::event
