// Forwards of a cluster whose API server is away wait on the cluster (one check for all of them)
// instead of each backing off with kubectl runs of its own, and all start the moment it answers.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_cluster_checker.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

const milliseconds kCheckInterval = ClusterHub::Options{}.check_interval;

constexpr const char* kRefused =
    "error: error upgrading connection: dial tcp 127.0.0.1:6443: connect: connection refused";

class ForwardClusterTest : public ForwardTestBase {
 protected:
  ForwardClusterTest() {
    context_.clusters = &clusters_;
    context_.pacer = &pacer_;
  }

  // The forward's kubectl could not reach the API server.
  void failOnTheApiServer(testing::FakeChild& child) {
    child.printError(kRefused);
    child.exit(1);
    dispatcher_.runPosted();
  }
  static ClusterCheckResult down() {
    return {.up = false, .reason = "connection refused on 127.0.0.1:6443", .context = "kind-dev"};
  }

  testing::FakeClusterChecker checker_;
  ClusterHub clusters_{dispatcher_, checker_, ClusterHub::Options{}};
  StartPacer pacer_{dispatcher_, milliseconds(2)};
};

TEST_F(ForwardClusterTest, AForwardThatCannotReachTheApiServerWaitsForItsClusterNotABackoff) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  failOnTheApiServer(*launcher_.last());
  ASSERT_EQ(launcher_.spawnCount(), 1u);

  // kubectl could not reach the API server: the cluster is looked at.
  ASSERT_EQ(checker_.inFlight(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting) << "until the check says whose failure";
  EXPECT_TRUE(forward->waitingForCluster());
  checker_.answer(down());
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(observer_.transitions.back().reason,
              HasSubstr("API server unreachable (context kind-dev): connection refused on "
                        "127.0.0.1:6443; waiting for it"));
  EXPECT_THAT(forward->lastError(), HasSubstr("API server unreachable (context kind-dev)"));
  ASSERT_TRUE(forward->nextRetry().has_value()) << "the cluster's next check";

  // A minute of outage: the cluster checks, the forward starts nothing.
  for (int i = 0; i < 600; ++i) {
    dispatcher_.advance(kCheckInterval);
    checker_.answer(down());
    dispatcher_.runPosted();
  }
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);

  dispatcher_.advance(kCheckInterval);
  checker_.answer({.up = true});
  ASSERT_EQ(launcher_.spawnCount(), 2u) << "at once, not after a grown backoff";
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
}

TEST_F(ForwardClusterTest, TwentyForwardsMakeOneCheckAndStartSpreadWhenTheServerAnswers) {
  std::vector<std::unique_ptr<Forward>> forwards;
  for (int i = 0; i < 20; ++i) {
    ForwardSpec spec = kubectlSpec();
    spec.name = "f" + std::to_string(i);
    spec.ports = {{static_cast<uint16_t>(8080 + i), "8000"}};
    forwards.push_back(makeForward(spec));
    forwards.back()->activate();
  }
  dispatcher_.advance(milliseconds(40));
  ASSERT_EQ(launcher_.spawnCount(), 20u) << "started 2 ms apart";
  for (const auto& child : launcher_.children()) {
    failOnTheApiServer(*child);
  }
  EXPECT_EQ(checker_.checks.size(), 1u) << "one check for the cluster";
  checker_.answer(down());
  dispatcher_.runPosted();
  for (int i = 0; i < 200; ++i) {
    dispatcher_.advance(kCheckInterval);
    checker_.answer(down());
    dispatcher_.runPosted();
  }
  EXPECT_EQ(launcher_.spawnCount(), 20u) << "no kubectl while the cluster is down";
  dispatcher_.advance(kCheckInterval);
  checker_.answer({.up = true});
  EXPECT_EQ(launcher_.spawnCount(), 21u) << "one start in this turn";
  dispatcher_.advance(milliseconds(38));
  EXPECT_EQ(launcher_.spawnCount(), 40u) << "the others within 40 ms";
}

TEST_F(ForwardClusterTest, WhenTheClusterIsFineTheFailureIsTheForwardsOwnAndBacksOff) {
  ForwardSpec spec = kubectlSpec();
  spec.start_timeout = milliseconds(5000);
  auto forward = makeForward(spec);
  forward->activate();
  dispatcher_.advance(milliseconds(5000));  // kubectl printed nothing: maybe the API server
  launcher_.last()->exit(0, 15);
  dispatcher_.runPosted();
  ASSERT_EQ(checker_.inFlight(), 1u);
  checker_.answer({.up = true});
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_FALSE(forward->waitingForCluster());
  EXPECT_THAT(observer_.transitions.back().reason, HasSubstr("retrying in 500ms"));
  dispatcher_.advance(milliseconds(500));
  EXPECT_EQ(launcher_.spawnCount(), 2u);
}

TEST_F(ForwardClusterTest, AForwardStartedWhileItsClusterIsDownWaitsWithoutKubectl) {
  auto first = makeForward(kubectlSpec());
  first->activate();
  failOnTheApiServer(*launcher_.last());
  checker_.answer(down());
  dispatcher_.runPosted();

  ForwardSpec spec = kubectlSpec();
  spec.name = "api";
  spec.ports = {{9090, "9000"}};
  auto second = makeForward(spec);
  second->activate();
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(second->state(), ForwardState::kBackoff);
  EXPECT_TRUE(second->waitingForCluster());
  second->restart();  // the user insists: still nothing to start until the server answers
  EXPECT_EQ(launcher_.spawnCount(), 1u);

  dispatcher_.advance(kCheckInterval);
  checker_.answer({.up = true});
  dispatcher_.advance(milliseconds(2));
  EXPECT_EQ(launcher_.spawnCount(), 3u);
}

TEST_F(ForwardClusterTest, TheAppsFailureKeepsItsOwnBackoffAndChecksNothing) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  launcher_.last()->printError(
      "E1124 19:41:29.123456   12345 portforward.go:424] \"Unhandled Error\" err=\"an error "
      "occurred forwarding 8080 -> 8000: error forwarding port 8000 to pod abc, uid : failed to "
      "execute portforward in network namespace: failed to connect to localhost:8000 inside "
      "namespace abc, IPv4: dial tcp4 127.0.0.1:8000: connect: connection refused\"");
  dispatcher_.runPosted();
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  EXPECT_TRUE(checker_.checks.empty());
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_FALSE(forward->waitingForCluster());
}

TEST_F(ForwardClusterTest, AForwardStoppedWhileWaitingStaysStoppedWhenTheServerReturns) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  failOnTheApiServer(*launcher_.last());
  checker_.answer(down());
  dispatcher_.runPosted();
  forward->stop();
  EXPECT_FALSE(forward->waitingForCluster());
  dispatcher_.advance(kCheckInterval);
  checker_.answer({.up = true});
  dispatcher_.advance(milliseconds(100));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStopped);
}

TEST_F(ForwardClusterTest, AResumeHealsARunningForwardAtOnceAndLeavesTheOthersAlone) {
  auto ready = makeForward(kubectlSpec());
  ready->activate();
  printForwarding(*launcher_.last(), ready->spec());
  ASSERT_EQ(ready->state(), ForwardState::kReady);
  auto old_child = launcher_.last();
  ASSERT_TRUE(ready->healable());
  ready->heal("resumed after 42m asleep");
  EXPECT_EQ(old_child->terminate_calls, 1) << "no drain: its streams are dead";
  dispatcher_.advance(milliseconds(2));  // the pacer: its first start was this very moment
  ASSERT_EQ(launcher_.spawnCount(), 2u) << "a new kubectl at once";
  printForwarding(*launcher_.last(), ready->spec());
  EXPECT_EQ(ready->state(), ForwardState::kReady);

  ForwardSpec spec = kubectlSpec();
  spec.name = "stopped";
  spec.ports = {{9090, "8000"}};
  auto stopped = makeForward(spec);
  stopped->activate();
  stopped->stop();
  EXPECT_FALSE(stopped->healable());
  const size_t spawned = launcher_.spawnCount();
  stopped->heal("resumed");
  EXPECT_EQ(launcher_.spawnCount(), spawned);

  spec.name = "waiting";
  spec.ports = {{9091, "8000"}};
  auto waiting = makeForward(spec);
  waiting->activate();
  dispatcher_.advance(milliseconds(2));
  ASSERT_EQ(launcher_.spawnCount(), spawned + 1);
  failOnTheApiServer(*launcher_.last());
  ASSERT_TRUE(waiting->waitingForCluster());
  EXPECT_FALSE(waiting->healable()) << "its cluster is checked anyway";
}

TEST_F(ForwardClusterTest, ALostSessionChecksTheClusterBeforeLookingAtThePod) {
  ForwardSpec spec = kubectlSpec();
  spec.target = "deployment/web";
  auto forward = makeForward(spec);
  forward->activate();
  answer("Deployment\napp=web,\n\n\n");
  answer("web-1\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,\n");
  printForwarding(*launcher_.last(), spec);
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  const size_t spawned = launcher_.spawnCount();

  launcher_.last()->printError("error: lost connection to pod");
  dispatcher_.runPosted();
  ASSERT_EQ(checker_.inFlight(), 1u);
  EXPECT_EQ(launcher_.spawnCount(), spawned) << "no `kubectl get pods` before the check";
  checker_.answer({.up = true});
  dispatcher_.advance(milliseconds(2));  // the pacer
  ASSERT_EQ(launcher_.spawnCount(), spawned + 1);
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pods") << "the cluster is fine: look at the pod";
}

// A deployment forward READY on web-1, whose API server then goes away for a while.
class ForwardClusterReturnTest : public ForwardClusterTest {
 protected:
  std::unique_ptr<Forward> readyThenOutage() {
    ForwardSpec spec = kubectlSpec();
    spec.target = "deployment/web";
    auto forward = makeForward(spec);
    forward->activate();
    answer("Deployment\napp=web,\n\n\n");
    answer("web-1\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,\n");
    printForwarding(*launcher_.last(), spec);
    EXPECT_EQ(forward->state(), ForwardState::kReady);
    failOnTheApiServer(*launcher_.last());
    checker_.answer(down());
    dispatcher_.runPosted();
    EXPECT_EQ(forward->state(), ForwardState::kBackoff);
    for (int i = 0; i < 50; ++i) {
      dispatcher_.advance(kCheckInterval);
      checker_.answer(down());
      dispatcher_.runPosted();
    }
    spawned_ = launcher_.spawnCount();
    dispatcher_.advance(kCheckInterval);
    checker_.answer({.up = true});
    dispatcher_.runPosted();
    return forward;
  }
  size_t spawned_ = 0;
};

TEST_F(ForwardClusterReturnTest, TheFirstRunAfterAnOutageGoesStraightToThePodItServed) {
  auto forward = readyThenOutage();
  ASSERT_EQ(launcher_.spawnCount(), spawned_ + 1) << "kubectl port-forward, no lookup first";
  EXPECT_THAT(launcher_.last()->spec.argv, ::testing::Contains("pod/web-1"));
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(forward->pod(), "web-1");
}

TEST_F(ForwardClusterReturnTest, APodReplacedDuringTheOutageIsLookedForAtOnceWithoutBackoff) {
  auto forward = readyThenOutage();
  ASSERT_EQ(launcher_.spawnCount(), spawned_ + 1);
  launcher_.last()->printError("Error from server (NotFound): pods \"web-1\" not found");
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  dispatcher_.advance(milliseconds(2));  // the pacer
  ASSERT_EQ(launcher_.spawnCount(), spawned_ + 2) << "no backoff, no FAILED: a lookup at once";
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pods");
  answer("web-2\t2026-11-24T10:09:00Z\tlive\tRunning\tTrue\thttp=8000,\n");
  ASSERT_EQ(launcher_.spawnCount(), spawned_ + 3);
  EXPECT_THAT(launcher_.last()->spec.argv, ::testing::Contains("pod/web-2"));
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  for (const auto& transition : observer_.transitions) {
    EXPECT_NE(transition.to, ForwardState::kFailed);
  }
  EXPECT_EQ(observer_.transitions.back().to, ForwardState::kReady);
  EXPECT_NE(observer_.transitions[observer_.transitions.size() - 2].to, ForwardState::kBackoff);
}

TEST_F(ForwardClusterTest, CommandForwardsHaveNoCluster) {
  ForwardSpec spec{
      .name = "cmd", .command = {"socat", "TCP-LISTEN:8080", "TCP:db:5432"}, .ports = {{8080, ""}}};
  auto forward = makeForward(spec);
  EXPECT_EQ(forward->cluster(), nullptr);
  auto kube = makeForward(kubectlSpec());
  EXPECT_NE(kube->cluster(), nullptr);
}

}  // namespace
}  // namespace pfd::core
