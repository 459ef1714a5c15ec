// A relayed connection shows each read to its tap, both ways and in order, only while one is set.
#include <string>
#include <thread>
#include <vector>

#include "daemon/relay/libuv_connection.h"
#include "gtest/gtest.h"
#include "tests/unit/relay/relay_fixture.h"
#include "tests/unit/relay/test_sockets.h"

namespace pfd::relay {
namespace {

using testing::EndRecorder;
using testing::Socket;

struct RecordingTap : ConnectionTap {
  void onRelayed(Direction direction, const char* data, size_t length) override {
    (direction == Direction::kToUpstream ? to_upstream : to_client).append(data, length);
    directions.push_back(direction);
  }
  std::string to_upstream;
  std::string to_client;
  std::vector<Direction> directions;
};

class ConnectionTapTest : public testing::RelayFixture {};

TEST_F(ConnectionTapTest, ATapSeesEveryByteBothWaysInOrderAndNothingOnceRemoved) {
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::string at_upstream;
  std::string at_client;
  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    at_upstream = testing::receiveExactly(upstream.fd(), 5);
    testing::sendAll(upstream.fd(), "world!");
    at_upstream += testing::receiveUntilEof(upstream.fd());
    testing::shutdownWrite(upstream.fd());
  });
  Socket client = testing::connectToLoopback(relayPort());
  LibuvConnection& connection = accepted(1);
  RecordingTap tap;
  connection.setTap(&tap);
  EndRecorder ends;
  connection.relayTo("127.0.0.1", upstream_port, RelayOptions{}, ends.callback());
  testing::sendAll(client.fd(), "hello");
  at_client = "";
  std::thread reader([&] { at_client = testing::receiveExactly(client.fd(), 6); });
  EXPECT_TRUE(loop_.runUntil([&] { return tap.to_client.size() == 6; }));
  reader.join();
  EXPECT_EQ(tap.to_upstream, "hello");
  EXPECT_EQ(tap.to_client, "world!");
  EXPECT_EQ(tap.directions.front(), Direction::kToUpstream);
  EXPECT_EQ(tap.directions.back(), Direction::kToClient);
  EXPECT_EQ(connection.bytesRead(Direction::kToUpstream), 5u);
  EXPECT_EQ(connection.bytesRead(Direction::kToClient), 6u);

  connection.setTap(nullptr);
  testing::sendAll(client.fd(), " untapped");
  testing::shutdownWrite(client.fd());
  std::thread drain([&] { testing::receiveUntilEof(client.fd()); });
  EXPECT_TRUE(loop_.runUntil([&] { return ends.ended(); }));
  drain.join();
  joinPeers();
  EXPECT_EQ(at_upstream, "hello untapped");
  EXPECT_EQ(at_client, "world!");
  EXPECT_EQ(tap.to_upstream, "hello") << "nothing after the tap was removed";
  EXPECT_EQ(connection.bytesRead(Direction::kToUpstream), 14u);
}

}  // namespace
}  // namespace pfd::relay
