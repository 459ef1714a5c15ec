#include "daemon/probe/probe_messages.h"

#include "gtest/gtest.h"

namespace pfd::probe {
namespace {

TEST(ProbeMessagesTest, WritesTimeoutsInTheShortestUnit) {
  EXPECT_EQ(timeoutMessage(std::chrono::seconds(1)), "timeout after 1s");
  EXPECT_EQ(timeoutMessage(std::chrono::milliseconds(1500)), "timeout after 1.5s");
  EXPECT_EQ(timeoutMessage(std::chrono::milliseconds(250)), "timeout after 250ms");
  EXPECT_EQ(timeoutMessage(std::chrono::minutes(2)), "timeout after 2m");
}

TEST(ProbeMessagesTest, BracketsIpv6AddressesInEndpoints) {
  EXPECT_EQ(endpointText("127.0.0.1", 8080), "127.0.0.1:8080");
  EXPECT_EQ(endpointText("::1", 8080), "[::1]:8080");
}

TEST(ProbeMessagesTest, NamesTheEndpointOfARefusedConnection) {
  EXPECT_EQ(connectionRefusedMessage("127.0.0.1", 8080), "connection refused on 127.0.0.1:8080");
}

}  // namespace
}  // namespace pfd::probe
