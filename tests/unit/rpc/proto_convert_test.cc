// The wire form of a forward: what `pfctl status -o json` shows scripts.
#include "daemon/rpc/proto_convert.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::rpc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ProtoConvertTest : public core::ForwardTestBase {};

TEST_F(ProtoConvertTest, AKubectlForwardInBackoffCarriesItsErrorAndNextRetry) {
  core::ForwardSpec spec = kubectlSpec();
  spec.namespace_name = "shop";
  spec.context = "kind-dev";
  spec.ports = {{8080, "8000"}, {9090, ""}};
  auto forward = makeForward(spec);
  forward->activate();
  dispatcher_.advance(seconds(2));
  launcher_.last()->printError("error: lost connection to pod");
  dispatcher_.runPosted();
  dispatcher_.advance(milliseconds(200));

  v1::Forward out;
  toProto(*forward, dispatcher_.monotonicTime(), &out);
  EXPECT_EQ(out.name(), "web");
  EXPECT_EQ(out.target(), "pod/web-1");
  EXPECT_EQ(out.namespace_(), "shop");
  EXPECT_EQ(out.context(), "kind-dev");
  ASSERT_EQ(out.ports_size(), 2);
  EXPECT_EQ(out.ports(0).local_port(), 8080u);
  EXPECT_EQ(out.ports(0).remote_port(), "8000");
  EXPECT_EQ(out.ports(1).remote_port(), "9090") << "PORT alone forwards to the same port";
  EXPECT_EQ(out.state(), v1::FORWARD_STATE_BACKOFF);
  EXPECT_EQ(out.pid(), 0) << "no child while backing off";
  EXPECT_EQ(out.pod(), "web-1");
  EXPECT_EQ(out.time_in_state().seconds(), 0);
  EXPECT_EQ(out.time_in_state().nanos(), 200'000'000);
  EXPECT_THAT(out.last_error(), ::testing::HasSubstr("lost connection to pod"));
  ASSERT_TRUE(out.has_next_retry_time());
  google::protobuf::Timestamp expected;
  toTimestamp(dispatcher_.systemTime() + milliseconds(300), &expected);
  EXPECT_EQ(out.next_retry_time().seconds(), expected.seconds());
  EXPECT_EQ(out.next_retry_time().nanos(), expected.nanos());
  EXPECT_FALSE(out.has_readiness());
}

TEST_F(ProtoConvertTest, ACommandForwardHasNoNamespaceOrContext) {
  core::ForwardSpec spec{
      .name = "bastion", .command = {"ssh", "-N", "bastion"}, .ports = {{5432, ""}}};
  spec.namespace_name = "default";
  auto forward = makeForward(spec);
  v1::Forward out;
  toProto(*forward, dispatcher_.monotonicTime(), &out);
  EXPECT_THAT(out.command(), ::testing::ElementsAre("ssh", "-N", "bastion"));
  EXPECT_EQ(out.target(), "");
  EXPECT_EQ(out.namespace_(), "");
  EXPECT_EQ(out.state(), v1::FORWARD_STATE_STOPPED);
}

TEST_F(ProtoConvertTest, TheLastProbeResultIsCarriedWithItsLatencyAndCounts) {
  core::ForwardSpec spec = kubectlSpec();
  spec.readiness = core::ProbeSpec{.kind = core::ProbeSpec::Kind::kHttpGet,
                                   .port = 8080,
                                   .path = "/healthz",
                                   .period = seconds(10),
                                   .timeout = seconds(1)};
  auto forward = makeForward(spec);
  v1::Forward out;
  toProto(*forward, dispatcher_.monotonicTime(), &out);
  EXPECT_EQ(out.readiness().kind(), "httpGet");
  EXPECT_FALSE(out.readiness().has_time()) << "not probed yet";

  forward->activate();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(0));
  probe::ProbeResult result = testing::probeFailure("HTTP 503 from /healthz");
  result.latency = milliseconds(12);
  prober_.completeAll(result);
  out.Clear();
  toProto(*forward, dispatcher_.monotonicTime(), &out);
  EXPECT_FALSE(out.readiness().success());
  EXPECT_EQ(out.readiness().message(), "HTTP 503 from /healthz");
  EXPECT_EQ(out.readiness().latency().nanos(), 12'000'000);
  EXPECT_TRUE(out.readiness().has_time());
  EXPECT_EQ(out.readiness().consecutive_failures(), 1u);
  EXPECT_EQ(out.readiness().consecutive_successes(), 0u);
}

TEST(ProtoConvertTimeTest, TimestampsAndDurationsSplitSecondsAndNanos) {
  google::protobuf::Timestamp stamp;
  toTimestamp(event::SystemTime(std::chrono::milliseconds(1'700'000'000'250)), &stamp);
  EXPECT_EQ(stamp.seconds(), 1'700'000'000);
  EXPECT_EQ(stamp.nanos(), 250'000'000);
  google::protobuf::Duration duration;
  toDuration(std::chrono::milliseconds(3'500), &duration);
  EXPECT_EQ(duration.seconds(), 3);
  EXPECT_EQ(duration.nanos(), 500'000'000);
}

TEST(ProtoConvertLogTest, ALogLineNamesItsForwardAndStream) {
  v1::LogLine out;
  toProto(core::LogLine{.source = core::LogLine::Source::kPfd, .text = "started pid 7"}, "web",
          &out);
  EXPECT_EQ(out.name(), "web");
  EXPECT_EQ(out.stream(), "pfd");
  EXPECT_EQ(out.text(), "started pid 7");
}

}  // namespace
}  // namespace pfd::rpc
