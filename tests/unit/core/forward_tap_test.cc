// pfctl tap: a forward shows its held connections and their bytes to the taps attached to it,
// only while one is attached, across its heals.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using relay::Direction;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct SeenChunk {
  uint64_t connection;
  std::string peer;
  Direction direction;
  uint64_t offset;
  uint64_t length;
  std::string data;
};

class RecordingSink : public TapSink {
 public:
  void onChunk(const TapChunk& chunk) override {
    chunks.push_back(SeenChunk{chunk.connection, std::string(chunk.peer), chunk.direction,
                               chunk.offset, chunk.length, std::string(chunk.data)});
  }
  void onConnection(const TapConnectionEvent& event) override { connections.push_back(event); }
  void onTapEnded(const std::string& reason) override { ended = reason; }

  std::vector<SeenChunk> chunks;
  std::vector<TapConnectionEvent> connections;
  std::string ended;
};

class ForwardTapTest : public ForwardTestBase {
 protected:
  std::unique_ptr<Forward> readyForward(ForwardSpec spec = kubectlSpec()) {
    auto forward = makeForward(spec);
    forward->activate();
    printForwarding(*launcher_.last(), forward->spec());
    EXPECT_EQ(forward->state(), ForwardState::kReady);
    return forward;
  }
};

TEST_F(ForwardTapTest, ConnectionsAreUntappedWhileNoTapIsAttached) {
  auto forward = readyForward();
  auto connection = relay_.connect("127.0.0.1", 8080);
  ASSERT_TRUE(connection->relayed());
  EXPECT_EQ(connection->tap, nullptr) << "the relay's hot path sees a null tap";
}

TEST_F(ForwardTapTest, ATapSeesBothDirectionsInOrderWithOffsets) {
  RecordingSink sink;
  auto forward = readyForward();
  ASSERT_TRUE(forward->tap(&sink, TapFilter{}).ok());
  auto connection = relay_.connect("127.0.0.1", 8080);
  ASSERT_NE(connection->tap, nullptr);
  connection->move(Direction::kToUpstream, "GET / HTTP/1.1\r\n\r\n");
  connection->move(Direction::kToClient, "HTTP/1.1 200 OK\r\n");
  connection->move(Direction::kToClient, "\r\n");
  ASSERT_THAT(sink.chunks, SizeIs(3));
  EXPECT_EQ(sink.chunks[0].connection, 1u);
  EXPECT_EQ(sink.chunks[0].peer, connection->peer);
  EXPECT_EQ(sink.chunks[0].direction, Direction::kToUpstream);
  EXPECT_EQ(sink.chunks[0].data, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(sink.chunks[2].direction, Direction::kToClient);
  EXPECT_EQ(sink.chunks[2].offset, 17u) << "after the 17 bytes of the status line";
  ASSERT_THAT(sink.connections, SizeIs(1));
  EXPECT_EQ(sink.connections[0].kind, TapConnectionEvent::Kind::kOpened);
  EXPECT_EQ(sink.connections[0].local_port, 8080);

  dispatcher_.advance(milliseconds(250));
  connection->end(relay::RelayEnd{.bytes_in = 18, .bytes_out = 19});
  ASSERT_THAT(sink.connections, SizeIs(2));
  EXPECT_EQ(sink.connections[1].kind, TapConnectionEvent::Kind::kClosed);
  EXPECT_EQ(sink.connections[1].bytes_in, 18u);
  EXPECT_EQ(sink.connections[1].duration, milliseconds(250));
}

TEST_F(ForwardTapTest, AConnectionOpenBeforeTheTapIsTappedFromWhereItIs) {
  RecordingSink sink;  // outlives the forward, which tells it the tap ended
  auto forward = readyForward();
  auto connection = relay_.connect("127.0.0.1", 8080);
  connection->move(Direction::kToUpstream, "before");
  ASSERT_TRUE(forward->tap(&sink, TapFilter{}).ok());
  connection->move(Direction::kToUpstream, "after");
  ASSERT_THAT(sink.chunks, SizeIs(1));
  EXPECT_EQ(sink.chunks[0].offset, 6u);
  forward->untap(&sink);
  EXPECT_EQ(connection->tap, nullptr) << "untapped again once the last tap left";
  connection->move(Direction::kToUpstream, "gone");
  EXPECT_THAT(sink.chunks, SizeIs(1));
}

TEST_F(ForwardTapTest, FiltersByPortTruncatesAndConnectionsOnlySeeNoBytes) {
  ForwardSpec spec = kubectlSpec();
  spec.ports = {{8080, "8000"}, {9090, "9000"}};
  RecordingSink on_9090;
  RecordingSink cut;
  RecordingSink connections_only;
  auto forward = readyForward(spec);
  ASSERT_TRUE(forward->tap(&on_9090, TapFilter{.port = 9090}).ok());
  ASSERT_TRUE(forward->tap(&cut, TapFilter{.max_bytes = 3}).ok());
  ASSERT_TRUE(forward->tap(&connections_only, TapFilter{.connections_only = true}).ok());
  auto first = relay_.connect("127.0.0.1", 8080);
  auto second = relay_.connect("127.0.0.1", 9090);
  first->move(Direction::kToUpstream, "abcdef");
  second->move(Direction::kToUpstream, "xyz");
  ASSERT_THAT(on_9090.chunks, SizeIs(1));
  EXPECT_EQ(on_9090.chunks[0].data, "xyz");
  ASSERT_THAT(cut.chunks, SizeIs(2));
  EXPECT_EQ(cut.chunks[0].data, "abc");
  EXPECT_EQ(cut.chunks[0].length, 6u) << "the header keeps the whole length";
  EXPECT_THAT(connections_only.chunks, IsEmpty());
  EXPECT_THAT(connections_only.connections, SizeIs(2));
  EXPECT_THAT(on_9090.connections, SizeIs(1));

  RecordingSink wrong;
  absl::Status status = forward->tap(&wrong, TapFilter{.port = 7070});
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("no local port 7070; its local ports: 8080, 9090"));
}

TEST_F(ForwardTapTest, ATapFollowsTheForwardAcrossAHeal) {
  RecordingSink sink;
  auto forward = readyForward();
  ASSERT_TRUE(forward->tap(&sink, TapFilter{}).ok());
  launcher_.last()->exit(1);
  dispatcher_.advance(milliseconds(1000));
  printForwarding(*launcher_.last(), forward->spec(), 40011);
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  auto connection = relay_.connect("127.0.0.1", 8080);
  EXPECT_EQ(connection->upstream_port, 40011);
  connection->move(Direction::kToUpstream, "healed");
  ASSERT_THAT(sink.chunks, SizeIs(1));
  EXPECT_EQ(sink.chunks[0].data, "healed");
  EXPECT_EQ(sink.ended, "");
}

TEST_F(ForwardTapTest, ForwardsWhosePortsPfdDoesNotHoldRefuseATap) {
  ForwardSpec unheld = kubectlSpec();
  unheld.hold_port = false;
  auto forward = makeForward(unheld);
  RecordingSink sink;
  absl::Status status = forward->tap(&sink, TapFilter{});
  EXPECT_TRUE(absl::IsFailedPrecondition(status));
  EXPECT_THAT(status.message(), HasSubstr("holdPort: false"));

  ForwardSpec command = kubectlSpec();
  command.target.clear();
  command.command = {"python3", "-m", "http.server"};
  auto command_forward = makeForward(command);
  status = command_forward->tap(&sink, TapFilter{});
  EXPECT_TRUE(absl::IsFailedPrecondition(status));
  EXPECT_THAT(status.message(), HasSubstr("runs a command"));
}

TEST_F(ForwardTapTest, RemovingTheForwardEndsItsTaps) {
  RecordingSink sink;
  auto forward = readyForward();
  ASSERT_TRUE(forward->tap(&sink, TapFilter{}).ok());
  forward->shutdown();
  EXPECT_THAT(sink.ended, HasSubstr("forward web was removed"));
}

TEST_F(ForwardTapTest, ASinkMayDetachItselfWhileItIsTold) {
  RecordingSink staying;
  auto forward = readyForward();
  struct Leaving : RecordingSink {
    Forward* forward = nullptr;
    void onChunk(const TapChunk& chunk) override {
      RecordingSink::onChunk(chunk);
      forward->untap(this);
    }
  } leaving;
  leaving.forward = forward.get();
  ASSERT_TRUE(forward->tap(&leaving, TapFilter{}).ok());
  ASSERT_TRUE(forward->tap(&staying, TapFilter{}).ok());
  auto connection = relay_.connect("127.0.0.1", 8080);
  connection->move(Direction::kToUpstream, "one");
  connection->move(Direction::kToUpstream, "two");
  EXPECT_THAT(leaving.chunks, SizeIs(1));
  EXPECT_THAT(staying.chunks, SizeIs(2));
}

}  // namespace
}  // namespace pfd::core
