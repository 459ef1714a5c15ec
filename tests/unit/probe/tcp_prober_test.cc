#include "daemon/probe/tcp_prober.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/probe/loopback_sockets.h"
#include "tests/unit/probe/test_loop.h"

namespace pfd::probe {
namespace {

using ::testing::HasSubstr;
using testing::LoopbackClient;
using testing::LoopbackSocket;
using testing::ResultRecorder;
using testing::TestLoop;

core::ProbeSpec tcpSpec(uint16_t port, std::chrono::milliseconds timeout) {
  core::ProbeSpec spec;
  spec.kind = core::ProbeSpec::Kind::kTcpSocket;
  spec.port = port;
  spec.timeout = timeout;
  return spec;
}

class TcpProberTest : public ::testing::Test {
 protected:
  // Runs one probe to completion and checks that done ran once, later than run().
  ProbeResult probe(const core::ProbeSpec& spec, const std::string& address = "127.0.0.1") {
    ResultRecorder recorder;
    ProbeHandlePtr handle = prober_.run(spec, address, recorder.callback());
    EXPECT_EQ(recorder.calls, 0) << "done ran inside run()";
    EXPECT_TRUE(loop_.runUntil([&] { return recorder.calls > 0; }));
    loop_.runUntilIdle();
    EXPECT_EQ(recorder.calls, 1);
    return recorder.result.value_or(ProbeResult{});
  }

  TestLoop loop_;
  TcpProber prober_{loop_.dispatcher()};
};

TEST_F(TcpProberTest, SucceedsWhenTheConnectionIsEstablished) {
  LoopbackSocket listener;
  listener.listen(16);

  const auto before = std::chrono::steady_clock::now();
  ProbeResult result = probe(tcpSpec(listener.port(), std::chrono::seconds(5)));
  const auto elapsed = std::chrono::steady_clock::now() - before;

  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.message, "connected");
  // The latency is measured inside the probe, so it cannot exceed the time around it.
  EXPECT_LE(result.latency, elapsed);
}

TEST_F(TcpProberTest, TreatsLocalhostAsTheIpv4Loopback) {
  LoopbackSocket listener;
  listener.listen(16);

  ProbeResult result = probe(tcpSpec(listener.port(), std::chrono::seconds(5)), "localhost");

  EXPECT_TRUE(result.success);
}

TEST_F(TcpProberTest, ReportsARefusedConnectionWithTheEndpoint) {
  // Bound but not listening: the kernel answers a SYN with a reset, and nobody else can take
  // the port while the socket lives.
  LoopbackSocket closed_port;

  ProbeResult result = probe(tcpSpec(closed_port.port(), std::chrono::seconds(5)));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, absl::StrCat("connection refused on 127.0.0.1:", closed_port.port()));
}

TEST_F(TcpProberTest, ReportsATimeoutWhenTheHandshakeNeverCompletes) {
  // Backlog 0 and one queued connection: the accept queue is full, so Linux drops further SYNs
  // and the probe's connect never completes.
  LoopbackSocket listener;
  listener.listen(0);
  LoopbackClient filler(listener.port());
  ASSERT_TRUE(filler.connected());

  ProbeResult result = probe(tcpSpec(listener.port(), std::chrono::milliseconds(200)));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "timeout after 200ms");
  // libuv times from its cached loop time, which may lag the probe's own start by a few ms.
  EXPECT_GE(result.latency, std::chrono::milliseconds(150));
}

TEST_F(TcpProberTest, FailsOnTheLoopWhenTheAddressIsNotAnIp) {
  ProbeResult result = probe(tcpSpec(80, std::chrono::seconds(1)), "not-an-address");

  EXPECT_FALSE(result.success);
  EXPECT_THAT(result.message, HasSubstr("\"not-an-address\": not an IP address"));
}

TEST_F(TcpProberTest, NeverCallsBackAfterTheHandleIsDestroyed) {
  LoopbackSocket listener;
  listener.listen(0);
  LoopbackClient filler(listener.port());
  ASSERT_TRUE(filler.connected());
  ResultRecorder recorder;

  ProbeHandlePtr handle = prober_.run(tcpSpec(listener.port(), std::chrono::milliseconds(100)),
                                      "127.0.0.1", recorder.callback());
  uv_run(loop_.get(), UV_RUN_NOWAIT);
  handle.reset();
  loop_.runUntilIdle();

  EXPECT_EQ(recorder.calls, 0);
}

TEST_F(TcpProberTest, AllowsTheHandleToBeDestroyedInsideItsCallback) {
  LoopbackSocket listener;
  listener.listen(16);
  ProbeHandlePtr handle;
  int calls = 0;

  handle =
      prober_.run(tcpSpec(listener.port(), std::chrono::seconds(5)), "127.0.0.1", [&](ProbeResult) {
        ++calls;
        handle.reset();
      });
  loop_.runUntilIdle();

  EXPECT_EQ(calls, 1);
  EXPECT_EQ(handle, nullptr);
}

TEST_F(TcpProberTest, RunsProbesConcurrently) {
  LoopbackSocket listener;
  listener.listen(16);
  LoopbackSocket closed_port;
  ResultRecorder open_result;
  ResultRecorder closed_result;

  ProbeHandlePtr open_probe = prober_.run(tcpSpec(listener.port(), std::chrono::seconds(5)),
                                          "127.0.0.1", open_result.callback());
  ProbeHandlePtr closed_probe = prober_.run(tcpSpec(closed_port.port(), std::chrono::seconds(5)),
                                            "127.0.0.1", closed_result.callback());
  loop_.runUntilIdle();

  ASSERT_EQ(open_result.calls, 1);
  ASSERT_EQ(closed_result.calls, 1);
  EXPECT_TRUE(open_result.result->success);
  EXPECT_FALSE(closed_result.result->success);
}

}  // namespace
}  // namespace pfd::probe
