#include "daemon/relay/libuv_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/relay/libuv_relay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/relay/relay_fixture.h"
#include "tests/unit/relay/test_sockets.h"

namespace pfd::relay {
namespace {

using ::pfd::testing::StatusIs;
using testing::EndRecorder;
using ::testing::HasSubstr;
using testing::Socket;

class LibuvListenerTest : public testing::RelayFixture {
 protected:
  absl::StatusOr<ListenerPtr> listen(const std::string& address, uint16_t port) {
    return relay_->listen(address, port, [this](ConnectionPtr connection) {
      accepted_.push_back(std::move(connection));
    });
  }
};

// What the kernel holds unread for the socket connected from 127.0.0.1:remote_port to
// 127.0.0.1:local_port (rx_queue in /proc/net/tcp), or -1 if there is no such socket.
long unreadBytes(uint16_t local_port, uint16_t remote_port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  const std::string local = absl::StrCat("0100007F:", absl::Hex(local_port, absl::kZeroPad4));
  const std::string remote = absl::StrCat("0100007F:", absl::Hex(remote_port, absl::kZeroPad4));
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local_field, remote_field, state, queues;
    fields >> slot >> local_field >> remote_field >> state >> queues;
    if (absl::EqualsIgnoreCase(local_field, local) &&
        absl::EqualsIgnoreCase(remote_field, remote)) {
      return std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
  }
  return -1;
}

uint16_t localPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

TEST_F(LibuvListenerTest, HandsOverAcceptedConnectionsUnreadUntilRelayTo) {
  EXPECT_NE(relayPort(), 0);
  Socket client = testing::connectToLoopback(relayPort());
  const std::string early = "sent before relayTo";
  ASSERT_TRUE(testing::sendAll(client.fd(), early));

  LibuvConnection& connection = accepted(1);
  EXPECT_EQ(connection.peer(), absl::StrCat("127.0.0.1:", localPort(client.fd())));
  for (int pass = 0; pass < 10; ++pass) {
    loop_.runOnce();
  }
  EXPECT_EQ(connection.bytesIn(), 0u);
  EXPECT_EQ(connection.bytesOut(), 0u);
  // The bytes wait in the kernel, unread, on the relay's side of the connection.
  EXPECT_EQ(unreadBytes(relayPort(), localPort(client.fd())), static_cast<long>(early.size()));

  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::string upstream_got;
  std::atomic<bool> upstream_done{false};
  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    upstream_got = testing::receiveExactly(upstream.fd(), early.size());
    upstream_done = true;
  });
  EndRecorder recorder;
  connection.relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return upstream_done.load(); }));
  joinPeers();
  EXPECT_EQ(upstream_got, early);
  EXPECT_EQ(connection.bytesIn(), upstream_got.size());
}

TEST_F(LibuvListenerTest, APortInUseIsAlreadyExistsNamingAddressAndPort) {
  EXPECT_THAT(
      listen("127.0.0.1", relayPort()),
      StatusIs(absl::StatusCode::kAlreadyExists,
               absl::StrCat("local port ", relayPort(), " on 127.0.0.1 is already in use")));
}

TEST_F(LibuvListenerTest, AnAddressNotOnThisMachineIsUnavailable) {
  // 192.0.2.0/24 is TEST-NET-1: documentation only, never assigned to a host.
  EXPECT_THAT(listen("192.0.2.1", 8080),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("local port 8080 on 192.0.2.1: 192.0.2.1 is not an address of "
                                 "this machine")));
}

TEST_F(LibuvListenerTest, ANameIsNotAnAddress) {
  EXPECT_THAT(listen("localhost", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an IP address")));
}

TEST_F(LibuvListenerTest, ADestroyedListenerFreesItsPortAtOnce) {
  const uint16_t port = relayPort();
  listener_.reset();
  absl::StatusOr<ListenerPtr> again = listen("127.0.0.1", port);
  ASSERT_OK(again);
  EXPECT_EQ((*again)->port(), port);
}

TEST_F(LibuvListenerTest, ConnectionsOutliveTheirListener) {
  Socket client = testing::connectToLoopback(relayPort());
  LibuvConnection& connection = accepted(1);
  listener_.reset();
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::string client_got;
  std::atomic<bool> done{false};
  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    testing::sendAll(upstream.fd(), "still here");
    client_got = testing::receiveExactly(client.fd(), 10);
    done = true;
  });
  EndRecorder recorder;
  connection.relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return done.load(); }));
  joinPeers();
  EXPECT_EQ(client_got, "still here");
}

TEST_F(LibuvListenerTest, TheRelayMayGoBeforeItsListenersAndConnections) {
  relay_.reset();
  Socket client = testing::connectToLoopback(relayPort());
  LibuvConnection& connection = accepted(1);
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::string client_got;
  std::atomic<bool> done{false};
  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    testing::sendAll(upstream.fd(), "relayed");
    client_got = testing::receiveExactly(client.fd(), 7);
    done = true;
  });
  EndRecorder recorder;
  connection.relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return done.load(); }));
  joinPeers();
  EXPECT_EQ(client_got, "relayed");
}

TEST_F(LibuvListenerTest, AListenerMayBeDestroyedInsideItsOwnAcceptCallback) {
  ListenerPtr own;
  absl::StatusOr<ListenerPtr> listener =
      relay_->listen("127.0.0.1", 0, [&](ConnectionPtr connection) {
        accepted_.push_back(std::move(connection));
        own.reset();
      });
  ASSERT_OK(listener);
  own = *std::move(listener);
  const uint16_t port = own->port();
  Socket client = testing::connectToLoopback(port);
  accepted(1);
  EXPECT_EQ(own, nullptr);
  EXPECT_OK(listen("127.0.0.1", port));
}

TEST_F(LibuvListenerTest, ListensOnTheIpv6LoopbackBesideTheIpv4One) {
  const int probe = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 loopback{};
  loopback.sin6_family = AF_INET6;
  loopback.sin6_addr = in6addr_loopback;
  const bool has_ipv6 =
      probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&loopback), sizeof loopback) == 0;
  if (probe >= 0) {
    ::close(probe);
  }
  if (!has_ipv6) {
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  // kubectl's "localhost": the same port on 127.0.0.1 and ::1, as two listeners.
  absl::StatusOr<ListenerPtr> ipv6 = listen("::1", relayPort());
  ASSERT_OK(ipv6);
  EXPECT_EQ((*ipv6)->port(), relayPort());

  Socket client(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  loopback.sin6_port = htons(relayPort());
  ASSERT_EQ(::connect(client.fd(), reinterpret_cast<sockaddr*>(&loopback), sizeof loopback), 0);
  sockaddr_in6 local{};
  socklen_t length = sizeof local;
  ::getsockname(client.fd(), reinterpret_cast<sockaddr*>(&local), &length);
  EXPECT_EQ(accepted(1).peer(), absl::StrCat("[::1]:", ntohs(local.sin6_port)));
}

TEST(LibuvRelayCreateTest, RefusesToRunUnlessSigpipeIsIgnored) {
  testing::TestLoop loop;
  const auto previous = std::signal(SIGPIPE, SIG_DFL);
  EXPECT_THAT(LibuvRelay::create(loop.get()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("SIGPIPE")));
  std::signal(SIGPIPE, SIG_IGN);
  EXPECT_OK(LibuvRelay::create(loop.get()));
  std::signal(SIGPIPE, previous);
}

TEST(LibuvRelayCreateTest, RefusesWatermarksTheWrongWayRound) {
  testing::TestLoop loop;
  std::signal(SIGPIPE, SIG_IGN);
  EXPECT_THAT(LibuvRelay::create(loop.get(), {.high_watermark = 1000, .low_watermark = 2000}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("watermarks")));
}

}  // namespace
}  // namespace pfd::relay
