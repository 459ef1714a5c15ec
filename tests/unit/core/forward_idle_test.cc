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

// Workload targets: while IDLE the target's object is fetched (at most two kubectl at a time,
// one per target) and the pod watch runs, so the first connection waits only for kubectl
// port-forward.
class ForwardIdlePrefetchTest : public ForwardIdleTest {
 protected:
  ForwardIdlePrefetchTest() {
    context_.pod_watches = &hub_;
    context_.prefetcher = &prefetcher_;
  }

  static ForwardSpec deploymentSpec(const std::string& name, uint16_t port,
                                    const std::string& target) {
    ForwardSpec spec = onDemandSpec();
    spec.name = name;
    spec.target = target;
    spec.ports = {{port, "8000"}};
    return spec;
  }

  std::vector<testing::FakeChildPtr> gets() const {
    std::vector<testing::FakeChildPtr> result;
    for (const auto& child : launcher_.children()) {
      if (child->spec.argv.size() > 2 && child->spec.argv[1] == "get" &&
          child->spec.argv[2] != "pods") {
        result.push_back(child);
      }
    }
    return result;
  }

  PodWatchHub hub_{dispatcher_, launcher_, [] { return 0.0; }};
  TargetPrefetcher prefetcher_{dispatcher_, launcher_, 2};
};

TEST_F(ForwardIdlePrefetchTest, IdleForwardsFetchTheirTargetsTwoAtATimeOncePerTarget) {
  std::vector<std::unique_ptr<Forward>> forwards;
  for (int i = 0; i < 6; ++i) {
    const std::string target = i < 2 ? "deployment/web" : "deployment/api-" + std::to_string(i);
    forwards.push_back(makeForward(
        deploymentSpec("f" + std::to_string(i), static_cast<uint16_t>(8080 + i), target)));
    forwards.back()->activate();
    EXPECT_EQ(forwards.back()->state(), ForwardState::kIdle);
  }
  ASSERT_EQ(gets().size(), 2u) << "two at a time";
  EXPECT_EQ(gets()[0]->spec.argv[2], "deployment/web") << "shared by f0 and f1";
  EXPECT_EQ(gets()[1]->spec.argv[2], "deployment/api-2");
  for (size_t done = 0; done < 5; ++done) {
    gets()[done]->print("Deployment");
    gets()[done]->print("app=web,");
    gets()[done]->exit(0);
    dispatcher_.runPosted();
  }
  EXPECT_EQ(gets().size(), 5u) << "one kubectl get per distinct target";
  EXPECT_EQ(prefetcher_.running(), 0u);
  EXPECT_EQ(portForwards(), 0u);
}

TEST_F(ForwardIdlePrefetchTest, TheFirstConnectionGoesStraightToKubectlPortForward) {
  auto forward = makeForward(deploymentSpec("web", 8080, "deployment/web"));
  forward->activate();
  auto watch = launcher_.children()[0];
  ASSERT_THAT(watch->spec.argv, ::testing::Contains("--watch"));
  watch->print(
      "ADDED  web-1  live  Running  ready=True  labels=app=web,  "
      "created=2026-11-24T10:05:00Z  ports=http=8000,");
  ASSERT_EQ(gets().size(), 1u);
  gets()[0]->print("Deployment");
  gets()[0]->print("app=web,");
  gets()[0]->exit(0);
  dispatcher_.runPosted();
  listed(*watch);

  auto first = connect();
  EXPECT_EQ(launcher_.last()->spec.argv[1], "port-forward") << "no kubectl get on the way";
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pod/web-1");
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(first->upstream_port, kFirstUpstreamPort);
}

TEST_F(ForwardIdlePrefetchTest, AForwardStoppedBeforeItsFetchRanDoesNotFetch) {
  std::vector<std::unique_ptr<Forward>> forwards;
  for (int i = 0; i < 3; ++i) {
    forwards.push_back(
        makeForward(deploymentSpec("f" + std::to_string(i), static_cast<uint16_t>(8080 + i),
                                   "deployment/api-" + std::to_string(i))));
    forwards.back()->activate();
  }
  forwards[2]->stop();
  for (size_t done = 0; done < 2; ++done) {
    gets()[done]->exit(1);
    dispatcher_.runPosted();
  }
  EXPECT_EQ(gets().size(), 2u) << "the third was cancelled while queued";
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
