// Replay: a connection whose upstream failed before answering goes to another upstream with the
// client's bytes, as long as none was lost (relay.h, RelayEnd and RelayOptions).
#include <atomic>
#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/relay/pattern.h"
#include "tests/unit/relay/relay_fixture.h"
#include "tests/unit/relay/test_sockets.h"

namespace pfd::relay {
namespace {

using testing::EndRecorder;
using testing::Pattern;
using testing::Socket;

class ReplayTest : public testing::RelayFixture {
 protected:
  // An upstream on its own thread that reads `expect` bytes (or up to the client's EOF when
  // `until_eof`), answers `answer`, and closes.
  uint16_t startAnsweringUpstream(size_t expect, bool until_eof, std::string answer) {
    uint16_t port = 0;
    upstream_listener_ = testing::listenOnLoopback(&port);
    spawn([this, expect, until_eof, answer = std::move(answer)] {
      Socket upstream = testing::acceptFrom(upstream_listener_);
      upstream_got_ = until_eof ? testing::receiveUntilEof(upstream.fd())
                                : testing::receiveExactly(upstream.fd(), expect);
      testing::sendAll(upstream.fd(), answer);
      upstream_done_ = true;
    });
    return port;
  }

  // A client on its own thread that sends `request` (then its FIN, with `half_close`) and reads
  // until the end of the connection.
  void startClient(std::string request, bool half_close) {
    spawn([this, request = std::move(request), half_close] {
      Socket client = testing::connectToLoopback(relayPort());
      testing::sendAll(client.fd(), request);
      if (half_close) {
        testing::shutdownWrite(client.fd());
      }
      client_got_ = testing::receiveUntilEof(client.fd(), &client_error_);
      client_done_ = true;
    });
  }

  // An upstream that reads `expect` bytes (or up to EOF) and then closes without a word; with
  // `reset`, it resets the connection instead.
  uint16_t startSilentUpstream(size_t expect, bool until_eof, bool reset) {
    uint16_t port = 0;
    silent_listener_ = testing::listenOnLoopback(&port);
    spawn([this, expect, until_eof, reset] {
      Socket upstream = testing::acceptFrom(silent_listener_);
      silent_got_ = until_eof ? testing::receiveUntilEof(upstream.fd())
                              : testing::receiveExactly(upstream.fd(), expect);
      if (reset) {
        testing::resetOnClose(upstream.fd());
      }
    });
    return port;
  }

  Socket upstream_listener_;
  Socket silent_listener_;
  std::string upstream_got_;
  std::string silent_got_;
  std::atomic<bool> upstream_done_{false};
  std::string client_got_;
  int client_error_ = -1;
  std::atomic<bool> client_done_{false};
};

TEST_F(ReplayTest, ARefusedUpstreamIsReplayableAndTheNextOneGetsTheClientsBytes) {
  const std::string request = Pattern(20).bytes(0, 3000);
  uint16_t refused_port = 0;
  Socket not_listening = testing::bindWithoutListening(&refused_port);
  startClient(request, false);
  LibuvConnection& connection = accepted(1);

  EndRecorder first;
  connection.relayTo("127.0.0.1", refused_port, {.replay_buffer = 64 * 1024}, first.callback());
  EXPECT_FALSE(first.ended()) << "on_end ran inside relayTo()";
  ASSERT_TRUE(loop_.runUntil([&] { return first.ended(); }));
  EXPECT_EQ(first.last().kind, RelayEnd::Kind::kUpstreamFailed);
  EXPECT_TRUE(first.last().replayable);
  EXPECT_FALSE(first.last().upstream_answered);
  EXPECT_EQ(first.last().reason, absl::StrCat("connection refused by 127.0.0.1:", refused_port));

  const uint16_t good_port = startAnsweringUpstream(request.size(), false, "answer");
  EndRecorder second;
  connection.relayTo("127.0.0.1", good_port, {.replay_buffer = 64 * 1024}, second.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return upstream_done_ && client_done_ && second.ended(); }));
  joinPeers();

  EXPECT_TRUE(upstream_got_ == request) << upstream_got_.size() << " of " << request.size();
  EXPECT_EQ(client_got_, "answer");
  EXPECT_EQ(client_error_, 0);
  EXPECT_EQ(first.ends.size(), 1u);
  ASSERT_EQ(second.ends.size(), 1u);
  EXPECT_EQ(second.last().kind, RelayEnd::Kind::kClosed) << second.last().reason;
  EXPECT_TRUE(second.last().upstream_answered);
  EXPECT_EQ(second.last().bytes_in, request.size());
  EXPECT_EQ(second.last().bytes_out, 6u);
}

TEST_F(ReplayTest, ARefusalIsReplayableEvenWithoutAReplayBuffer) {
  uint16_t refused_port = 0;
  Socket not_listening = testing::bindWithoutListening(&refused_port);
  Socket client = testing::connectToLoopback(relayPort());
  EndRecorder recorder;
  accepted(1).relayTo("127.0.0.1", refused_port, {.replay_buffer = 0}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended(); }));
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kUpstreamFailed);
  EXPECT_TRUE(recorder.last().replayable);
}

TEST_F(ReplayTest, AnUpstreamThatClosesBeforeAnsweringIsReplayedWithTheKeptBytesAndTheFin) {
  const std::string request = Pattern(21).bytes(0, 40 * 1024);
  const std::string answer = Pattern(22).bytes(0, 2 * 1024 * 1024);
  const uint16_t silent_port = startSilentUpstream(0, true, false);
  startClient(request, true);
  LibuvConnection& connection = accepted(1);

  EndRecorder first;
  connection.relayTo("127.0.0.1", silent_port, {.replay_buffer = 64 * 1024}, first.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return first.ended(); }));
  EXPECT_EQ(first.last().kind, RelayEnd::Kind::kUpstreamFailed);
  EXPECT_TRUE(first.last().replayable);
  EXPECT_FALSE(first.last().upstream_answered);
  EXPECT_EQ(first.last().reason,
            absl::StrCat("the upstream 127.0.0.1:", silent_port, " closed before it answered"));
  EXPECT_EQ(first.last().bytes_in, request.size());
  EXPECT_FALSE(client_done_) << "the client must stay open and untouched";

  const uint16_t good_port = startAnsweringUpstream(0, true, answer);
  EndRecorder second;
  connection.relayTo("127.0.0.1", good_port, {.replay_buffer = 64 * 1024}, second.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return upstream_done_ && client_done_ && second.ended(); }));
  joinPeers();

  EXPECT_TRUE(silent_got_ == request);
  EXPECT_TRUE(upstream_got_ == request) << upstream_got_.size() << " of " << request.size();
  EXPECT_TRUE(client_got_ == answer) << client_got_.size() << " of " << answer.size();
  EXPECT_EQ(second.last().kind, RelayEnd::Kind::kClosed) << second.last().reason;
  EXPECT_EQ(second.last().bytes_in, request.size());
  EXPECT_EQ(second.last().bytes_out, answer.size());
}

TEST_F(ReplayTest, AnUpstreamResetBeforeAnsweringIsReplayable) {
  const std::string request = Pattern(23).bytes(0, 5000);
  const uint16_t silent_port = startSilentUpstream(request.size(), false, true);
  startClient(request, false);
  LibuvConnection& connection = accepted(1);

  EndRecorder first;
  connection.relayTo("127.0.0.1", silent_port, {.replay_buffer = 8192}, first.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return first.ended(); }));
  EXPECT_EQ(first.last().kind, RelayEnd::Kind::kUpstreamFailed);
  EXPECT_TRUE(first.last().replayable);
  EXPECT_EQ(first.last().reason,
            absl::StrCat("reset by the upstream 127.0.0.1:", silent_port, " before it answered"));

  const uint16_t good_port = startAnsweringUpstream(request.size(), false, "ok");
  EndRecorder second;
  connection.relayTo("127.0.0.1", good_port, {.replay_buffer = 8192}, second.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return upstream_done_ && client_done_ && second.ended(); }));
  joinPeers();
  EXPECT_TRUE(upstream_got_ == request);
  EXPECT_EQ(client_got_, "ok");
  EXPECT_EQ(second.last().kind, RelayEnd::Kind::kClosed) << second.last().reason;
}

TEST_F(ReplayTest, BytesPastTheReplayBufferMakeAnEarlyCloseAnOrdinaryOne) {
  const std::string request = Pattern(24).bytes(0, 4096);
  const uint16_t silent_port = startSilentUpstream(0, true, false);
  startClient(request, true);

  EndRecorder recorder;
  accepted(1).relayTo("127.0.0.1", silent_port, {.replay_buffer = 1024}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended() && client_done_; }));
  joinPeers();

  EXPECT_TRUE(silent_got_ == request);
  EXPECT_EQ(client_got_, "");
  EXPECT_EQ(client_error_, 0) << "the upstream's FIN is passed on";
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kClosed) << recorder.last().reason;
  EXPECT_FALSE(recorder.last().replayable);
  EXPECT_FALSE(recorder.last().upstream_answered);
  EXPECT_EQ(recorder.last().bytes_in, request.size());
}

TEST_F(ReplayTest, BytesPastTheReplayBufferMakeAResetUnreplayableAndResetTheClient) {
  const std::string request = Pattern(25).bytes(0, 4096);
  const uint16_t silent_port = startSilentUpstream(request.size(), false, true);
  startClient(request, false);

  EndRecorder recorder;
  accepted(1).relayTo("127.0.0.1", silent_port, {.replay_buffer = 1024}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended() && client_done_; }));
  joinPeers();

  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kUpstreamFailed);
  EXPECT_FALSE(recorder.last().replayable);
  EXPECT_EQ(client_error_, ECONNRESET);
}

TEST_F(ReplayTest, WithoutAReplayBufferAnEarlyCloseIsPassedOnAsEof) {
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  const uint16_t silent_port = startSilentUpstream(0, true, false);
  startClient(request, true);

  EndRecorder recorder;
  accepted(1).relayTo("127.0.0.1", silent_port, {.replay_buffer = 0}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended() && client_done_; }));
  joinPeers();

  EXPECT_EQ(silent_got_, request);
  EXPECT_EQ(client_got_, "");
  EXPECT_EQ(client_error_, 0);
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kClosed) << recorder.last().reason;
  EXPECT_FALSE(recorder.last().replayable);
  EXPECT_EQ(recorder.last().bytes_in, request.size());
}

TEST_F(ReplayTest, AnAddressThatIsNotAnIpFailsOnTheLoopNotInsideRelayTo) {
  Socket client = testing::connectToLoopback(relayPort());
  EndRecorder recorder;
  accepted(1).relayTo("kubectl.local", 80, {.replay_buffer = 1024}, recorder.callback());
  EXPECT_FALSE(recorder.ended());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended(); }));
  EXPECT_EQ(recorder.ends.size(), 1u);
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kUpstreamFailed);
  EXPECT_TRUE(recorder.last().replayable);
  EXPECT_THAT(recorder.last().reason, ::testing::HasSubstr("not an IP address"));
}

}  // namespace
}  // namespace pfd::relay
