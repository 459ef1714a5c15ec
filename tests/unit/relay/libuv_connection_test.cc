#include "daemon/relay/libuv_connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/sanitizers.h"
#include "tests/unit/relay/loop_peers.h"
#include "tests/unit/relay/pattern.h"
#include "tests/unit/relay/relay_fixture.h"
#include "tests/unit/relay/test_sockets.h"

namespace pfd::relay {
namespace {

using ::testing::AnyOf;
using testing::EndRecorder;
using testing::Pattern;
using testing::Received;
using testing::Socket;

constexpr uint64_t kMiB = 1024 * 1024;

class LibuvConnectionTest : public testing::RelayFixture {};

TEST_F(LibuvConnectionTest, MovesAGibibyteEachWayAtOnceIntactAndCountsEveryByte) {
  constexpr uint64_t kTotal = (pfd::testing::kUnderThreadSanitizer ? 64 : 1024) * kMiB;
  const Pattern upload(1);
  const Pattern download(2);
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  Received at_upstream;
  Received at_client;
  std::atomic<bool> upstream_done{false};
  std::atomic<bool> client_done{false};
  bool upstream_sent = false;
  bool client_sent = false;

  // Each end sends and receives at the same time, on two threads.
  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    std::thread sender([&] {
      upstream_sent = sendPattern(upstream.fd(), download, kTotal);
      testing::shutdownWrite(upstream.fd());
    });
    at_upstream = receivePattern(upstream.fd(), upload);
    sender.join();
    upstream_done = true;
  });
  spawn([&] {
    Socket client = testing::connectToLoopback(relayPort());
    std::thread sender([&] {
      client_sent = sendPattern(client.fd(), upload, kTotal);
      testing::shutdownWrite(client.fd());
    });
    at_client = receivePattern(client.fd(), download);
    sender.join();
    client_done = true;
  });

  EndRecorder recorder;
  LibuvConnection& connection = accepted(1);
  connection.relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended() && upstream_done && client_done; }));
  joinPeers();

  EXPECT_TRUE(upstream_sent);
  EXPECT_TRUE(client_sent);
  EXPECT_EQ(at_upstream.bytes, kTotal);
  EXPECT_TRUE(at_upstream.intact);
  EXPECT_EQ(at_upstream.error, 0);
  EXPECT_EQ(at_client.bytes, kTotal);
  EXPECT_TRUE(at_client.intact);
  EXPECT_EQ(at_client.error, 0);
  ASSERT_EQ(recorder.ends.size(), 1u);
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kClosed) << recorder.last().reason;
  EXPECT_TRUE(recorder.last().upstream_answered);
  EXPECT_EQ(recorder.last().bytes_in, kTotal);
  EXPECT_EQ(recorder.last().bytes_out, kTotal);
  EXPECT_EQ(connection.bytesIn(), kTotal);
  EXPECT_EQ(connection.bytesOut(), kTotal);
  // Backpressure held both directions to the high watermark and one read.
  EXPECT_LE(connection.peakQueuedBytes(), limits().high_watermark + RelayBuffer::kStandardSize);
}

TEST_F(LibuvConnectionTest, Relays200ConcurrentConnectionsEachWithItsOwnPayload) {
  constexpr size_t kConnections = 200;
  testing::LoopEchoServer echo(loop_.get());
  // One stream, a different stretch of it for each connection: as distinct as a seed each, and
  // one block to generate instead of 200.
  const Pattern stream(100);
  std::vector<std::string> payloads;
  for (size_t i = 0; i < kConnections; ++i) {
    payloads.push_back(stream.bytes(i * 4099, 16 * 1024 + i * 509));
  }
  std::vector<EndRecorder> ends(kConnections);
  on_accept_ = [&](LibuvConnection& connection, size_t index) {
    connection.relayTo("127.0.0.1", echo.port(), {}, ends.at(index).callback());
  };
  std::vector<testing::EchoResult> results(kConnections);
  for (size_t i = 0; i < kConnections; ++i) {
    testing::startEchoClient(loop_.get(), relayPort(), payloads[i], &results[i]);
  }

  ASSERT_TRUE(loop_.runUntil([&] {
    return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.done; }) &&
           accepted_.size() == kConnections &&
           std::all_of(ends.begin(), ends.end(), [](const auto& e) { return e.ended(); });
  })) << "clients done: "
      << std::count_if(results.begin(), results.end(), [](const auto& r) { return r.done; })
      << ", accepted: " << accepted_.size() << ", relays ended: "
      << std::count_if(ends.begin(), ends.end(), [](const auto& e) { return e.ended(); });

  for (size_t i = 0; i < kConnections; ++i) {
    EXPECT_EQ(results[i].error, 0) << "client " << i << ": " << uv_strerror(results[i].error);
    EXPECT_TRUE(results[i].received == payloads[i])
        << "client " << i << " got " << results[i].received.size() << " bytes back of "
        << payloads[i].size();
  }
  // Connections are accepted in any order: match each end with a payload by its size (sizes
  // differ by 509 bytes).
  std::vector<uint64_t> sent_sizes;
  std::vector<uint64_t> relayed_sizes;
  for (size_t i = 0; i < kConnections; ++i) {
    sent_sizes.push_back(payloads[i].size());
    ASSERT_EQ(ends[i].ends.size(), 1u);
    const RelayEnd& end = ends[i].last();
    EXPECT_EQ(end.kind, RelayEnd::Kind::kClosed) << end.reason;
    EXPECT_EQ(end.bytes_in, end.bytes_out);
    relayed_sizes.push_back(end.bytes_in);
  }
  std::sort(sent_sizes.begin(), sent_sizes.end());
  std::sort(relayed_sizes.begin(), relayed_sizes.end());
  EXPECT_EQ(relayed_sizes, sent_sizes);
}

TEST_F(LibuvConnectionTest, AClientThatHalfClosesStillReceivesTheWholeAnswer) {
  const std::string request = Pattern(3).bytes(0, 100 * 1024);
  const std::string answer = Pattern(4).bytes(0, 8 * kMiB);
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::string upstream_got;
  std::string client_got;
  int client_error = -1;
  std::atomic<int> peers_done{0};

  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    upstream_got = testing::receiveUntilEof(upstream.fd());  // the client's FIN, passed on
    testing::sendAll(upstream.fd(), answer);
    ++peers_done;
  });
  spawn([&] {
    Socket client = testing::connectToLoopback(relayPort());
    testing::sendAll(client.fd(), request);
    testing::shutdownWrite(client.fd());
    client_got = testing::receiveUntilEof(client.fd(), &client_error);
    ++peers_done;
  });

  EndRecorder recorder;
  accepted(1).relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended() && peers_done == 2; }));
  joinPeers();

  EXPECT_TRUE(upstream_got == request) << upstream_got.size() << " of " << request.size();
  EXPECT_TRUE(client_got == answer) << client_got.size() << " of " << answer.size();
  EXPECT_EQ(client_error, 0);
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kClosed) << recorder.last().reason;
  EXPECT_EQ(recorder.last().bytes_in, request.size());
  EXPECT_EQ(recorder.last().bytes_out, answer.size());
}

TEST_F(LibuvConnectionTest, AnUpstreamThatHalfClosesStillReceivesEverythingTheClientSends) {
  const std::string greeting = Pattern(5).bytes(0, 8 * kMiB);
  const std::string upload = Pattern(6).bytes(0, 4 * kMiB);
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::string upstream_got;
  int upstream_error = -1;
  std::string client_got;
  std::atomic<int> peers_done{0};

  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    testing::sendAll(upstream.fd(), greeting);
    testing::shutdownWrite(upstream.fd());
    upstream_got = testing::receiveUntilEof(upstream.fd(), &upstream_error);
    ++peers_done;
  });
  spawn([&] {
    Socket client = testing::connectToLoopback(relayPort());
    client_got = testing::receiveUntilEof(client.fd());  // the upstream's FIN, passed on
    testing::sendAll(client.fd(), upload);
    testing::shutdownWrite(client.fd());
    ++peers_done;
  });

  EndRecorder recorder;
  accepted(1).relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended() && peers_done == 2; }));
  joinPeers();

  EXPECT_TRUE(client_got == greeting) << client_got.size() << " of " << greeting.size();
  EXPECT_TRUE(upstream_got == upload) << upstream_got.size() << " of " << upload.size();
  EXPECT_EQ(upstream_error, 0);
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kClosed) << recorder.last().reason;
  EXPECT_EQ(recorder.last().bytes_in, upload.size());
  EXPECT_EQ(recorder.last().bytes_out, greeting.size());
}

// One thread drives both peers with non-blocking sockets between passes of the loop, so that
// "the upstream cannot write any more" is an observation, not a timing.
TEST_F(LibuvConnectionTest, AClientThatStopsReadingBoundsTheQueueAndBlocksTheUpstream) {
  // The upstream blocks after ~6 MiB here; the kernel buffers on the way could hold up to ~38 MiB
  // (tcp_rmem's 32 MiB maximum on the relay's side, autotuned, plus tcp_wmem's 4 MiB).
  constexpr uint64_t kTotal = 128 * kMiB;
  const size_t bound = limits().high_watermark + RelayBuffer::kStandardSize;
  const Pattern download(7);
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  Socket client = testing::connectToLoopback(relayPort());
  testing::setBufferSizes(client.fd(), 64 * 1024, 64 * 1024);
  EndRecorder recorder;
  LibuvConnection& connection = accepted(1);
  connection.relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  Socket upstream = testing::acceptFrom(upstream_listener);
  testing::setBufferSizes(upstream.fd(), 64 * 1024, 64 * 1024);
  testing::setNonBlocking(upstream.fd());
  testing::setNonBlocking(client.fd());
  testing::shutdownWrite(client.fd());  // the client has nothing to say

  uint64_t sent = 0;
  auto push = [&] {  // what the upstream manages to write now
    const uint64_t before = sent;
    while (sent < kTotal) {
      size_t run = 0;
      const char* bytes =
          download.at(sent, static_cast<size_t>(std::min(kMiB, kTotal - sent)), &run);
      const ssize_t now = ::send(upstream.fd(), bytes, run, MSG_NOSIGNAL);
      if (now <= 0) {
        EXPECT_TRUE(now < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) << errno;
        break;
      }
      sent += static_cast<uint64_t>(now);
    }
    return sent - before;
  };

  // The client reads nothing: the relay's queue to it fills, the relay stops reading the
  // upstream, and then the kernel buffers between fill too.
  int rounds_without_progress = 0;
  while (rounds_without_progress < 5 && sent < kTotal) {
    const uint64_t progress = push();
    loop_.runOnce();
    rounds_without_progress = progress == 0 ? rounds_without_progress + 1 : 0;
  }
  ASSERT_LT(sent, kTotal / 2) << "the upstream's writes never blocked";
  EXPECT_GT(connection.peakQueuedBytes(), limits().high_watermark) << "it never paused";
  EXPECT_LE(connection.peakQueuedBytes(), bound);
  EXPECT_LE(connection.queuedBytes(), bound);
  const uint64_t blocked_at = sent;
  for (int pass = 0; pass < 50; ++pass) {
    push();
    loop_.runOnce();
  }
  // Nothing drains while the client does not read (the kernel may still compact a buffer).
  EXPECT_LT(sent, blocked_at + kMiB);
  EXPECT_LE(connection.queuedBytes(), bound);

  // The client reads again: everything arrives, in order.
  uint64_t received = 0;
  bool intact = true;
  bool upstream_shut = false;
  bool eof = false;
  std::vector<char> buffer(256 * 1024);
  while (!eof) {
    push();
    if (sent == kTotal && !upstream_shut) {
      testing::shutdownWrite(upstream.fd());
      upstream_shut = true;
    }
    for (;;) {
      const ssize_t now = ::recv(client.fd(), buffer.data(), buffer.size(), 0);
      if (now > 0) {
        intact = intact && download.matches(received, buffer.data(), static_cast<size_t>(now));
        received += static_cast<uint64_t>(now);
        continue;
      }
      eof = now == 0;
      ASSERT_TRUE(eof || errno == EAGAIN || errno == EWOULDBLOCK) << errno;
      break;
    }
    loop_.runOnce();
  }
  EXPECT_EQ(received, kTotal);
  EXPECT_TRUE(intact);
  EXPECT_LE(connection.peakQueuedBytes(), bound);
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended(); }));
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kClosed) << recorder.last().reason;
  EXPECT_EQ(recorder.last().bytes_out, kTotal);
}

TEST_F(LibuvConnectionTest, DestroyingAConnectionMidTransferClosesBothPeersWithoutACallback) {
  const Pattern download(8);
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::atomic<bool> upstream_done{false};
  std::atomic<bool> client_done{false};
  bool upstream_finished_sending = true;
  Received at_client;

  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    upstream_finished_sending = sendPattern(upstream.fd(), download, 1024 * kMiB);
    upstream_done = true;
  });
  spawn([&] {
    Socket client = testing::connectToLoopback(relayPort());
    at_client = receivePattern(client.fd(), download);
    client_done = true;
  });

  EndRecorder recorder;
  LibuvConnection& connection = accepted(1);
  connection.relayTo("127.0.0.1", upstream_port, {}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return connection.bytesOut() > 4 * kMiB; }));
  accepted_.clear();
  ASSERT_TRUE(loop_.runUntil([&] { return upstream_done && client_done; }));
  joinPeers();
  listener_.reset();
  loop_.runUntilIdle();  // returns only once every handle of the connection is closed

  EXPECT_TRUE(recorder.ends.empty());
  EXPECT_FALSE(upstream_finished_sending) << "the upstream's socket stayed open";
  EXPECT_TRUE(at_client.intact);
  EXPECT_THAT(at_client.error, AnyOf(0, ECONNRESET));
}

TEST_F(LibuvConnectionTest, AResetByTheUpstreamAfterItAnsweredIsAnErrorAndResetsTheClient) {
  uint16_t upstream_port = 0;
  Socket upstream_listener = testing::listenOnLoopback(&upstream_port);
  std::string client_got;
  int client_error = 0;
  std::atomic<int> peers_done{0};

  spawn([&] {
    Socket upstream = testing::acceptFrom(upstream_listener);
    testing::sendAll(upstream.fd(), "hello");
    EXPECT_EQ(testing::receiveExactly(upstream.fd(), 3), "ack");
    testing::resetOnClose(upstream.fd());
    upstream.reset();
    ++peers_done;
  });
  spawn([&] {
    Socket client = testing::connectToLoopback(relayPort());
    client_got = testing::receiveExactly(client.fd(), 5);
    testing::sendAll(client.fd(), "ack");
    testing::receiveUntilEof(client.fd(), &client_error);
    ++peers_done;
  });

  EndRecorder recorder;
  accepted(1).relayTo("127.0.0.1", upstream_port, {.replay_buffer = 1024}, recorder.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return recorder.ended() && peers_done == 2; }));
  joinPeers();

  EXPECT_EQ(client_got, "hello");
  EXPECT_EQ(client_error, ECONNRESET);
  ASSERT_EQ(recorder.ends.size(), 1u);
  EXPECT_EQ(recorder.last().kind, RelayEnd::Kind::kError);
  EXPECT_EQ(recorder.last().reason,
            absl::StrCat("reset by the upstream 127.0.0.1:", upstream_port));
  EXPECT_TRUE(recorder.last().upstream_answered);
  EXPECT_FALSE(recorder.last().replayable);
  EXPECT_EQ(recorder.last().bytes_in, 3u);
  EXPECT_EQ(recorder.last().bytes_out, 5u);
}

}  // namespace
}  // namespace pfd::relay
