#include "daemon/event/netlink_messages.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::event {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing::StatusIs;

// Builds netlink datagrams byte by byte, as the kernel lays them out.
class Datagram {
 public:
  // Starts a message; attributes added after belong to it.
  template <typename Header>
  Datagram& message(uint16_t type, const Header& header, uint16_t flags = 0, uint32_t sequence = 0,
                    uint32_t port_id = 0) {
    start_ = bytes_.size();
    nlmsghdr message{};
    message.nlmsg_type = type;
    message.nlmsg_flags = flags;
    message.nlmsg_seq = sequence;
    message.nlmsg_pid = port_id;
    append(&message, sizeof(message));
    append(&header, sizeof(header));
    pad();
    finish();
    return *this;
  }
  Datagram& attribute(uint16_t type, const void* payload, size_t size) {
    rtattr header{};
    header.rta_type = type;
    header.rta_len = static_cast<uint16_t>(RTA_LENGTH(size));
    append(&header, sizeof(header));
    append(payload, size);
    pad();
    finish();
    return *this;
  }
  Datagram& ipv4(uint16_t type, const char* text) {
    in_addr address{};
    inet_pton(AF_INET, text, &address);
    return attribute(type, &address, sizeof(address));
  }
  Datagram& ipv6(uint16_t type, const char* text) {
    in6_addr address{};
    inet_pton(AF_INET6, text, &address);
    return attribute(type, &address, sizeof(address));
  }
  Datagram& u32(uint16_t type, uint32_t value) { return attribute(type, &value, sizeof(value)); }
  Datagram& text(uint16_t type, const std::string& value) {
    return attribute(type, value.c_str(), value.size() + 1);
  }

  std::span<const uint8_t> bytes() const { return bytes_; }
  std::vector<uint8_t>& raw() { return bytes_; }

 private:
  void append(const void* data, size_t size) {
    const auto* begin = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), begin, begin + size);
  }
  void pad() { bytes_.resize(NLMSG_ALIGN(bytes_.size())); }
  // Keeps the current message's nlmsg_len up to date.
  void finish() {
    const auto length = static_cast<uint32_t>(bytes_.size() - start_);
    std::memcpy(bytes_.data() + start_, &length, sizeof(length));
  }

  std::vector<uint8_t> bytes_;
  size_t start_ = 0;
};

ifaddrmsg addressHeader(int family, int prefix_length, int interface_index, uint8_t flags = 0) {
  ifaddrmsg header{};
  header.ifa_family = static_cast<uint8_t>(family);
  header.ifa_prefixlen = static_cast<uint8_t>(prefix_length);
  header.ifa_index = static_cast<uint32_t>(interface_index);
  header.ifa_flags = flags;
  return header;
}

rtmsg routeHeader(int family, int destination_length, uint8_t table = RT_TABLE_MAIN,
                  uint8_t type = RTN_UNICAST) {
  rtmsg header{};
  header.rtm_family = static_cast<uint8_t>(family);
  header.rtm_dst_len = static_cast<uint8_t>(destination_length);
  header.rtm_table = table;
  header.rtm_type = type;
  header.rtm_protocol = RTPROT_BOOT;
  header.rtm_scope = RT_SCOPE_UNIVERSE;
  return header;
}

std::vector<NetworkChange> parseOk(const Datagram& datagram) {
  absl::StatusOr<NetlinkDatagram> parsed = parseNetlinkMessages(datagram.bytes());
  EXPECT_OK(parsed);
  return parsed.ok() ? parsed->changes : std::vector<NetworkChange>();
}

std::vector<std::string> describeAll(const std::vector<NetworkChange>& changes) {
  std::vector<std::string> descriptions;
  for (const NetworkChange& change : changes) {
    descriptions.push_back(describeNetworkChange(change));
  }
  return descriptions;
}

TEST(NetlinkMessagesTest, Ipv4AddressAddedWithItsLabel) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET, 8, 1))
      .ipv4(IFA_ADDRESS, "127.0.0.9")
      .ipv4(IFA_LOCAL, "127.0.0.9")
      .text(IFA_LABEL, "lo");
  std::vector<NetworkChange> changes = parseOk(datagram);
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_EQ(changes[0].kind, NetworkChange::Kind::kAddressAdded);
  EXPECT_EQ(changes[0].prefix, "127.0.0.9/8");
  EXPECT_EQ(changes[0].interface_index, 1);
  EXPECT_EQ(changes[0].interface_name, "lo");
  EXPECT_FALSE(changes[0].ipv6);
  EXPECT_EQ(describeNetworkChange(changes[0]), "address 127.0.0.9/8 added on lo");
}

TEST(NetlinkMessagesTest, AddressRemoved) {
  Datagram datagram;
  datagram.message(RTM_DELADDR, addressHeader(AF_INET, 24, 3))
      .ipv4(IFA_ADDRESS, "10.200.0.1")
      .text(IFA_LABEL, "veth0");
  EXPECT_THAT(describeAll(parseOk(datagram)),
              ElementsAre("address 10.200.0.1/24 removed from veth0"));
}

TEST(NetlinkMessagesTest, PointToPointAddressIsTheLocalOneNotThePeer) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET, 32, 9))
      .ipv4(IFA_ADDRESS, "10.8.0.1")
      .ipv4(IFA_LOCAL, "10.8.0.2")
      .text(IFA_LABEL, "tun0");
  EXPECT_THAT(describeAll(parseOk(datagram)), ElementsAre("address 10.8.0.2/32 added on tun0"));
}

TEST(NetlinkMessagesTest, Ipv6AddressWithoutLabelNamesTheInterfaceByIndex) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET6, 64, 4)).ipv6(IFA_ADDRESS, "2001:db8::5");
  std::vector<NetworkChange> changes = parseOk(datagram);
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_TRUE(changes[0].ipv6);
  EXPECT_EQ(changes[0].interface_name, "");
  EXPECT_EQ(describeNetworkChange(changes[0]), "address 2001:db8::5/64 added on #4");
}

TEST(NetlinkMessagesTest, TentativeIpv6AddressIsNotYetAdded) {
  Datagram header_flag;
  header_flag.message(RTM_NEWADDR, addressHeader(AF_INET6, 64, 4, IFA_F_TENTATIVE))
      .ipv6(IFA_ADDRESS, "2001:db8::5");
  EXPECT_THAT(parseOk(header_flag), IsEmpty());
  // IFA_FLAGS (32 bits) is what the kernel means when it is present.
  Datagram attribute_flag;
  attribute_flag.message(RTM_NEWADDR, addressHeader(AF_INET6, 64, 4))
      .ipv6(IFA_ADDRESS, "2001:db8::5")
      .u32(IFA_FLAGS, IFA_F_TENTATIVE | IFA_F_NOPREFIXROUTE);
  EXPECT_THAT(parseOk(attribute_flag), IsEmpty());
  Datagram settled;
  settled.message(RTM_NEWADDR, addressHeader(AF_INET6, 64, 4, IFA_F_TENTATIVE))
      .ipv6(IFA_ADDRESS, "2001:db8::5")
      .u32(IFA_FLAGS, IFA_F_PERMANENT);
  EXPECT_THAT(parseOk(settled), SizeIs(1));
}

TEST(NetlinkMessagesTest, Ipv6LinkLocalAddressesAndRoutesAreLeftOut) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET6, 64, 4)).ipv6(IFA_ADDRESS, "fe80::1");
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET6, 64)).ipv6(RTA_DST, "fe80::").u32(RTA_OIF, 4);
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET6, 8)).ipv6(RTA_DST, "ff00::").u32(RTA_OIF, 4);
  EXPECT_THAT(parseOk(datagram), IsEmpty());
}

TEST(NetlinkMessagesTest, DefaultRouteAddedWithGatewayAndInterface) {
  Datagram datagram;
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET, 0))
      .u32(RTA_TABLE, RT_TABLE_MAIN)
      .ipv4(RTA_GATEWAY, "10.200.0.2")
      .u32(RTA_OIF, 3);
  std::vector<NetworkChange> changes = parseOk(datagram);
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_TRUE(changes[0].isDefaultRoute());
  EXPECT_EQ(changes[0].gateway, "10.200.0.2");
  EXPECT_EQ(changes[0].interface_index, 3);
  EXPECT_EQ(changes[0].table, RT_TABLE_MAIN);
  changes[0].interface_name = "veth0";
  EXPECT_EQ(describeNetworkChange(changes[0]), "default route via 10.200.0.2 on veth0 added");
}

TEST(NetlinkMessagesTest, ReplacedDefaultRouteSaysWhereItGoesNow) {
  Datagram datagram;
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET, 0), NLM_F_CREATE | NLM_F_REPLACE)
      .ipv4(RTA_GATEWAY, "10.200.0.3")
      .u32(RTA_OIF, 3)
      .u32(RTA_PRIORITY, 100);
  std::vector<NetworkChange> changes = parseOk(datagram);
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_TRUE(changes[0].replaces);
  EXPECT_EQ(changes[0].priority, 100u);
  EXPECT_EQ(describeNetworkChange(changes[0]), "default route now via 10.200.0.3 on #3");
}

TEST(NetlinkMessagesTest, Ipv6DefaultRouteRemoved) {
  Datagram datagram;
  datagram.message(RTM_DELROUTE, routeHeader(AF_INET6, 0))
      .ipv6(RTA_GATEWAY, "fe80::1")
      .u32(RTA_OIF, 2);
  EXPECT_THAT(describeAll(parseOk(datagram)),
              ElementsAre("IPv6 default route via fe80::1 on #2 removed"));
}

TEST(NetlinkMessagesTest, PrefixRouteIsNotADefaultRoute) {
  Datagram datagram;
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET, 24))
      .ipv4(RTA_DST, "10.200.0.0")
      .u32(RTA_OIF, 3);
  std::vector<NetworkChange> changes = parseOk(datagram);
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_FALSE(changes[0].isDefaultRoute());
  EXPECT_EQ(describeNetworkChange(changes[0]), "route 10.200.0.0/24 on #3 added");
}

TEST(NetlinkMessagesTest, KernelsLocalAndBroadcastRoutesAreLeftOut) {
  Datagram datagram;
  // What the kernel adds with 127.0.0.9/8 on lo: a local route in the local table...
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET, 32, RT_TABLE_LOCAL, RTN_LOCAL))
      .u32(RTA_TABLE, RT_TABLE_LOCAL)
      .ipv4(RTA_DST, "127.0.0.9")
      .u32(RTA_OIF, 1);
  // ...a broadcast route, and a route whose table only RTA_TABLE names.
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET, 32, RT_TABLE_MAIN, RTN_BROADCAST))
      .ipv4(RTA_DST, "10.200.0.255")
      .u32(RTA_OIF, 3);
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET, 32, RT_TABLE_UNSPEC))
      .u32(RTA_TABLE, RT_TABLE_LOCAL)
      .ipv4(RTA_DST, "10.200.0.1");
  rtmsg cloned = routeHeader(AF_INET6, 128);
  cloned.rtm_flags = RTM_F_CLONED;
  datagram.message(RTM_NEWROUTE, cloned).ipv6(RTA_DST, "2001:db8::7");
  EXPECT_THAT(parseOk(datagram), IsEmpty());
}

TEST(NetlinkMessagesTest, RouteInAnotherTableIsKept) {
  Datagram datagram;
  // A VPN's policy routing table (wg-quick uses 51820).
  datagram.message(RTM_NEWROUTE, routeHeader(AF_INET, 0, RT_TABLE_UNSPEC))
      .u32(RTA_TABLE, 51820)
      .u32(RTA_OIF, 7);
  std::vector<NetworkChange> changes = parseOk(datagram);
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_EQ(changes[0].table, 51820u);
  EXPECT_TRUE(changes[0].isDefaultRoute());
}

ifinfomsg linkHeader(int interface_index, unsigned flags) {
  ifinfomsg header{};
  header.ifi_family = AF_UNSPEC;
  header.ifi_index = interface_index;
  header.ifi_flags = flags;
  return header;
}

TEST(NetlinkMessagesTest, LinkStateWithItsName) {
  Datagram datagram;
  datagram.message(RTM_NEWLINK, linkHeader(3, IFF_UP | IFF_RUNNING | IFF_BROADCAST))
      .text(IFLA_IFNAME, "wlan0")
      .u32(IFLA_MTU, 1500);
  datagram.message(RTM_NEWLINK, linkHeader(3, IFF_UP)).text(IFLA_IFNAME, "wlan0");
  datagram.message(RTM_NEWLINK, linkHeader(3, IFF_RUNNING)).text(IFLA_IFNAME, "wlan0");
  datagram.message(RTM_DELLINK, linkHeader(3, 0)).text(IFLA_IFNAME, "wlan0");
  std::vector<NetworkChange> changes = parseOk(datagram);
  ASSERT_THAT(changes, SizeIs(4));
  EXPECT_EQ(changes[0].kind, NetworkChange::Kind::kLinkState);
  EXPECT_EQ(changes[0].interface_index, 3);
  EXPECT_EQ(changes[0].interface_name, "wlan0");
  EXPECT_TRUE(changes[0].link_up);
  EXPECT_TRUE(changes[0].link_running);
  EXPECT_TRUE(changes[1].link_up);
  EXPECT_FALSE(changes[1].link_running);
  // Administratively down is down, whatever the carrier says.
  EXPECT_FALSE(changes[2].link_up);
  EXPECT_FALSE(changes[2].link_running);
  EXPECT_EQ(changes[3].kind, NetworkChange::Kind::kLinkRemoved);
  EXPECT_THAT(describeAll(changes), ElementsAre("link wlan0 up", "link wlan0 down (no carrier)",
                                                "link wlan0 down", "link wlan0 removed"));
}

TEST(NetlinkMessagesTest, SeveralMessagesInOneDatagramInOrder) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET, 8, 1))
      .ipv4(IFA_LOCAL, "127.0.0.10")
      .text(IFA_LABEL, "lo");
  datagram.message(RTM_NEWNEIGH, ndmsg{});
  datagram.message(RTM_DELADDR, addressHeader(AF_INET, 8, 1))
      .ipv4(IFA_LOCAL, "127.0.0.11")
      .text(IFA_LABEL, "lo");
  datagram.message(NLMSG_DONE, int32_t{0});
  EXPECT_THAT(describeAll(parseOk(datagram)), ElementsAre("address 127.0.0.10/8 added on lo",
                                                          "address 127.0.0.11/8 removed from lo"));
}

TEST(NetlinkMessagesTest, DumpRepliesCarryTheRequestsSequenceAndEndWithDone) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET, 8, 1), NLM_F_MULTI, 7, 4242)
      .ipv4(IFA_LOCAL, "127.0.0.1")
      .text(IFA_LABEL, "lo");
  datagram.message(NLMSG_DONE, int32_t{0}, NLM_F_MULTI, 7, 4242);
  nlmsgerr refused{};
  refused.error = -EBUSY;
  datagram.message(NLMSG_ERROR, refused, 0, 8, 4242);
  absl::StatusOr<NetlinkDatagram> parsed = parseNetlinkMessages(datagram.bytes());
  ASSERT_OK(parsed);
  ASSERT_THAT(parsed->changes, SizeIs(1));
  EXPECT_EQ(parsed->changes[0].sequence, 7u);
  EXPECT_EQ(parsed->changes[0].port_id, 4242u);
  EXPECT_THAT(parsed->finished_requests, ElementsAre(7u, 8u));
}

TEST(NetlinkMessagesTest, OtherFamiliesAreSkipped) {
  Datagram datagram;
  datagram.message(RTM_NEWROUTE, routeHeader(AF_MPLS, 20)).u32(RTA_OIF, 3);
  datagram.message(RTM_NEWADDR, addressHeader(AF_PACKET, 0, 3));
  EXPECT_THAT(parseOk(datagram), IsEmpty());
}

TEST(NetlinkMessagesTest, EmptyDatagramHasNoChanges) {
  EXPECT_THAT(parseOk(Datagram()), IsEmpty());
}

TEST(NetlinkMessagesTest, TruncatedMessageIsAnError) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET, 8, 1)).ipv4(IFA_LOCAL, "127.0.0.9");
  datagram.raw().resize(datagram.raw().size() - 4);
  EXPECT_THAT(parseNetlinkMessages(datagram.bytes()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated netlink message")));
}

TEST(NetlinkMessagesTest, AttributeLongerThanItsMessageIsAnError) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET, 8, 1)).ipv4(IFA_LOCAL, "127.0.0.9");
  // The attribute's length field sits right after the headers.
  const size_t attribute = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifaddrmsg));
  const uint16_t too_long = 200;
  std::memcpy(datagram.raw().data() + attribute, &too_long, sizeof(too_long));
  EXPECT_THAT(parseNetlinkMessages(datagram.bytes()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("netlink attribute")));
}

TEST(NetlinkMessagesTest, AddressMessageWithoutAnAddressIsAnError) {
  Datagram datagram;
  datagram.message(RTM_NEWADDR, addressHeader(AF_INET, 8, 1)).text(IFA_LABEL, "lo");
  EXPECT_THAT(parseNetlinkMessages(datagram.bytes()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("without a readable address")));
}

TEST(NetlinkMessagesTest, MessageShorterThanItsHeaderIsAnError) {
  Datagram datagram;
  datagram.message(RTM_NEWROUTE, int32_t{0});
  EXPECT_THAT(parseNetlinkMessages(datagram.bytes()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("shorter than its header")));
}

}  // namespace
}  // namespace pfd::event
