// start: onDemand: the ports are held from activation, kubectl runs only while connections need
// it, and idleTimeout without one puts the forward back to IDLE.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using RelayKind = relay::RelayEnd::Kind;

class ForwardIdleTest : public ForwardTestBase {
 protected:
  static ForwardSpec onDemandSpec() {
    ForwardSpec spec = kubectlSpec();
    spec.start = ForwardSpec::Start::kOnDemand;
    spec.idle_timeout = minutes(15);
    return spec;
  }

  testing::FakeConnectionPtr connect() { return relay_.connect("127.0.0.1", 8080); }

  size_t portForwards() const {
    size_t count = 0;
    for (const auto& child : launcher_.children()) {
      count += child->spec.argv.size() > 1 && child->spec.argv[1] == "port-forward" ? 1 : 0;
    }
    return count;
  }
};

TEST_F(ForwardIdleTest, AnOnDemandForwardHoldsItsPortsAndStartsNoKubectl) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  EXPECT_EQ(forward->state(), ForwardState::kIdle);
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080));
  EXPECT_EQ(launcher_.spawnAttempts(), 0u);
  dispatcher_.advance(minutes(60));
  EXPECT_EQ(launcher_.spawnAttempts(), 0u);
  EXPECT_EQ(forward->pid(), 0);
  EXPECT_FALSE(forward->lastServed().has_value());
}

TEST_F(ForwardIdleTest, TheFirstConnectionStartsARunAndWaitsForItAsDoTheNextOnes) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  auto first = connect();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  ASSERT_EQ(portForwards(), 1u);
  auto second = connect();
  EXPECT_EQ(portForwards(), 1u) << "one run for every waiting connection";
  EXPECT_FALSE(first->relayed());
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(first->upstream_port, kFirstUpstreamPort);
  EXPECT_EQ(second->upstream_port, kFirstUpstreamPort);
  EXPECT_TRUE(forward->lastServed().has_value());
}

TEST_F(ForwardIdleTest, IdleTimeoutWithoutAConnectionStopsKubectlAndTheNextConnectionStartsIt) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  auto request = connect();
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(minutes(1));
  request->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  dispatcher_.advance(minutes(15) - milliseconds(1));
  EXPECT_EQ(forward->state(), ForwardState::kReady) << "15m after the last connection closed";
  EXPECT_EQ(launcher_.last()->terminate_calls, 0);
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(forward->state(), ForwardState::kIdle);
  EXPECT_EQ(launcher_.last()->terminate_calls, 1);
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080)) << "the same listener";
  dispatcher_.runPosted();

  auto next = connect();
  ASSERT_EQ(portForwards(), 2u);
  printForwarding(*launcher_.last(), forward->spec(), 40011);
  EXPECT_EQ(next->upstream_port, 40011);
}

TEST_F(ForwardIdleTest, AnOpenConnectionKeepsItAwake) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  auto open = connect();
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(minutes(45));
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  open->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  dispatcher_.advance(minutes(15));
  EXPECT_EQ(forward->state(), ForwardState::kIdle);
}

TEST_F(ForwardIdleTest, ProbesNeitherWakeItNorKeepItAwake) {
  ForwardSpec spec = onDemandSpec();
  spec.readiness =
      ProbeSpec{.kind = ProbeSpec::Kind::kTcpSocket, .port = 8080, .period = seconds(10)};
  auto forward = makeForward(spec);
  forward->activate();
  dispatcher_.advance(minutes(5));
  EXPECT_TRUE(prober_.pending().empty()) << "no probe while IDLE";
  auto request = connect();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  request->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  for (int i = 0; i < 90; ++i) {  // 15 minutes of probes every 10 s
    dispatcher_.advance(seconds(10));
    prober_.completeAll(testing::probeSuccess());
  }
  EXPECT_EQ(forward->state(), ForwardState::kIdle);
  dispatcher_.advance(minutes(5));
  EXPECT_TRUE(prober_.pending().empty());
  EXPECT_EQ(portForwards(), 1u);
}

TEST_F(ForwardIdleTest, PfctlStartWarmsAnIdleForwardUntilItsIdleTimeout) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  forward->start();
  ASSERT_EQ(portForwards(), 1u);
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  dispatcher_.advance(minutes(15));
  EXPECT_EQ(forward->state(), ForwardState::kIdle);
}

TEST_F(ForwardIdleTest, StopReleasesThePortsOfAnIdleForward) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  forward->stop();
  EXPECT_EQ(forward->state(), ForwardState::kStopped);
  EXPECT_FALSE(relay_.listening("127.0.0.1", 8080));
}

TEST_F(ForwardIdleTest, AReloadKeepsAnIdleForwardIdleOnTheSameListener) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  const size_t listens = relay_.listenCalls();
  ForwardSpec changed = onDemandSpec();
  changed.namespace_name = "shop";
  forward->replaceSpec(changed);
  EXPECT_EQ(forward->state(), ForwardState::kIdle);
  EXPECT_EQ(relay_.listenCalls(), listens);
  EXPECT_EQ(launcher_.spawnAttempts(), 0u);
}

TEST_F(ForwardIdleTest, ChangingOnDemandToAlwaysStartsIt) {
  auto forward = makeForward(onDemandSpec());
  forward->activate();
  forward->replaceSpec(kubectlSpec());
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  EXPECT_EQ(portForwards(), 1u);
}

TEST_F(ForwardIdleTest, AStartThatFailsBacksOffWhileConnectionsWaitThenSleepsAgain) {
  ForwardSpec spec = onDemandSpec();
  spec.idle_timeout = minutes(1);
  spec.hold_timeout = seconds(10);
  spec.backoff.max = seconds(5);
  auto forward = makeForward(spec);
  forward->activate();
  launcher_.failNextSpawn(absl::UnavailableError("fork: resource temporarily unavailable"));
  auto waiting = connect();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_FALSE(waiting->closed);
  // The retries fail too (the kubectl exits at once); the connection waits out holdTimeout.
  for (int i = 0; i < 20 && forward->state() != ForwardState::kIdle; ++i) {
    dispatcher_.advance(milliseconds(std::max<long long>(dispatcher_.nextTimerIn(), 1)));
    if (launcher_.last() != nullptr && launcher_.last()->alive) {
      launcher_.last()->exit(1);
    }
  }
  dispatcher_.runPosted();
  EXPECT_TRUE(waiting->closed);
  EXPECT_EQ(forward->state(), ForwardState::kIdle) << "no connection needs it any more";
  const size_t attempts = launcher_.spawnAttempts();
  dispatcher_.advance(minutes(30));
  EXPECT_EQ(launcher_.spawnAttempts(), attempts);
}

TEST_F(ForwardIdleTest, IdleTimeoutZeroNeverStopsItOnceStarted) {
  ForwardSpec spec = onDemandSpec();
  spec.idle_timeout = milliseconds(0);
  auto forward = makeForward(spec);
  forward->activate();
  auto request = connect();
  printForwarding(*launcher_.last(), spec);
  request->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  dispatcher_.advance(minutes(600));
  EXPECT_EQ(forward->state(), ForwardState::kReady);
}

TEST_F(ForwardIdleTest, AlwaysIsTodaysBehaviour) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  EXPECT_EQ(portForwards(), 1u);
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(minutes(600));
  EXPECT_EQ(forward->state(), ForwardState::kReady);
}

}  // namespace
}  // namespace pfd::core
