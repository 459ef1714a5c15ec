// Zero failed requests through pod replacements: make-before-break switches between pods, draining,
// and the replay of connections that never reached the application.
#include <csignal>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using RelayKind = relay::RelayEnd::Kind;

class ForwardSwitchTest : public ForwardTestBase {
 protected:
  ForwardSwitchTest() { context_.pod_watches = &hub_; }

  static ForwardSpec deploymentSpec() {
    ForwardSpec spec = kubectlSpec();
    spec.target = "deployment/web";
    return spec;
  }

  void pod(const std::string& type, const std::string& name, bool terminating, bool ready = true) {
    watch_->print(type + "  " + name + "  " + (terminating ? "terminating" : "live") +
                  "  Running  ready=" + (ready ? "True" : "False") +
                  "  labels=app=web,  created=2026-11-24T10:05:00Z  ports=http=8000,");
    dispatcher_.runPosted();
  }

  // A READY forward on pod `first`, the watch knowing it.
  std::unique_ptr<Forward> readyOn(const std::string& first, ForwardSpec spec = deploymentSpec()) {
    auto forward = makeForward(spec);
    forward->activate();
    watch_ = launcher_.children()[0];
    pod("ADDED", first, false);
    listed(*watch_);
    answer("Deployment\napp=web,\n\n\n");  // the pods come from the watch
    EXPECT_EQ(launcher_.last()->spec.argv[1], "port-forward");
    printForwarding(*launcher_.last(), spec);
    EXPECT_EQ(forward->state(), ForwardState::kReady);
    return forward;
  }

  testing::FakeConnectionPtr connect() { return relay_.connect("127.0.0.1", 8080); }

  bool everLeftReady() const {
    bool ready_seen = false;
    for (const Transition& transition : observer_.transitions) {
      if (ready_seen && transition.to != ForwardState::kReady) {
        return true;
      }
      ready_seen = ready_seen || transition.to == ForwardState::kReady;
    }
    return false;
  }

  // The kubectl port-forward children, oldest first.
  std::vector<testing::FakeChildPtr> tunnels() const {
    std::vector<testing::FakeChildPtr> result;
    for (const auto& child : launcher_.children()) {
      if (child->spec.argv.size() > 1 && child->spec.argv[1] == "port-forward") {
        result.push_back(child);
      }
    }
    return result;
  }

  PodWatchHub hub_{dispatcher_, launcher_, [] { return 0.0; }};
  testing::FakeChildPtr watch_;
};

TEST_F(ForwardSwitchTest, TheOldPodServesUntilTheNewOneIsReadyThenNewConnectionsGoThere) {
  auto forward = readyOn("web-0");
  auto before = connect();
  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);  // terminating, still Ready: a rollout's old pod
  ASSERT_EQ(tunnels().size(), 2u);
  EXPECT_EQ(tunnels()[1]->spec.argv[2], "pod/web-1") << "straight to the other pod";
  EXPECT_EQ(forward->state(), ForwardState::kReady) << "it still serves";
  ASSERT_TRUE(forward->podSwitch().has_value());
  EXPECT_EQ(forward->podSwitch()->from_pod, "web-0");
  EXPECT_EQ(forward->podSwitch()->to_pod, "web-1");
  auto during = connect();
  EXPECT_EQ(during->upstream_port, kFirstUpstreamPort) << "the old pod serves meanwhile";

  printForwarding(*tunnels()[1], forward->spec(), 41000);
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(forward->pod(), "web-1");
  EXPECT_FALSE(forward->podSwitch().has_value());
  auto after = connect();
  EXPECT_EQ(after->upstream_port, 41000);
  ASSERT_EQ(observer_.switches.size(), 1u) << "one event for the switch";
  EXPECT_THAT(observer_.switches[0], HasSubstr("switched from pod web-0 to pod web-1"));
  EXPECT_THAT(observer_.switches[0], HasSubstr("2 connections draining on web-0"));
  EXPECT_FALSE(everLeftReady());

  EXPECT_EQ(tunnels()[0]->terminate_calls, 0) << "two connections still use the old pod";
  ASSERT_EQ(forward->draining().size(), 1u);
  EXPECT_EQ(forward->draining()[0].pod, "web-0");
  EXPECT_EQ(forward->draining()[0].connections, 2u);
  before->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  EXPECT_EQ(tunnels()[0]->terminate_calls, 0);
  during->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1) << "the last one closed";
  EXPECT_THAT(forward->draining(), IsEmpty());
}

TEST_F(ForwardSwitchTest, WithNoOpenConnectionTheOldRunStopsAtOnce) {
  auto forward = readyOn("web-0");
  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  printForwarding(*tunnels()[1], forward->spec(), 41000);
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
}

TEST_F(ForwardSwitchTest, DrainTimeoutStopsTheOldRunWhateverIsStillOpen) {
  ForwardSpec spec = deploymentSpec();
  spec.drain_timeout = seconds(5);
  auto forward = readyOn("web-0", spec);
  auto slow = connect();
  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  printForwarding(*tunnels()[1], spec, 41000);
  dispatcher_.advance(milliseconds(4999));
  EXPECT_EQ(tunnels()[0]->terminate_calls, 0);
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
}

TEST_F(ForwardSwitchTest, NoDrainingPastThePodsDeletion) {
  auto forward = readyOn("web-0");
  auto slow = connect();
  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  printForwarding(*tunnels()[1], forward->spec(), 41000);
  EXPECT_EQ(tunnels()[0]->terminate_calls, 0);
  pod("DELETED", "web-0", true);
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
}

TEST_F(ForwardSwitchTest, WithNoOtherReadyPodTheOldOneServesAndTheSwitchWaitsForOne) {
  auto forward = readyOn("web-0");
  pod("MODIFIED", "web-0", true);
  // The watch knows no other pod: nothing to start yet.
  EXPECT_EQ(tunnels().size(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  ASSERT_TRUE(forward->podSwitch().has_value());
  EXPECT_EQ(forward->podSwitch()->to_pod, "");
  auto during = connect();
  EXPECT_EQ(during->upstream_port, kFirstUpstreamPort);
  pod("ADDED", "web-1", false, /*ready=*/false);
  EXPECT_EQ(tunnels().size(), 1u) << "not Ready yet";
  pod("MODIFIED", "web-1", false, /*ready=*/true);
  ASSERT_EQ(tunnels().size(), 2u);
  printForwarding(*tunnels()[1], forward->spec(), 41000);
  EXPECT_EQ(connect()->upstream_port, 41000);
  EXPECT_FALSE(everLeftReady());
}

TEST_F(ForwardSwitchTest, RolloutsInARowNeverBackOffNorLeaveReady) {
  auto forward = readyOn("web-0");
  std::vector<testing::FakeConnectionPtr> slow;
  for (int i = 0; i < 10; ++i) {
    const std::string old_pod = "web-" + std::to_string(i);
    const std::string new_pod = "web-" + std::to_string(i + 1);
    slow.push_back(connect());
    pod("ADDED", new_pod, false);
    pod("MODIFIED", old_pod, true);
    ASSERT_EQ(tunnels().back()->spec.argv[2], "pod/" + new_pod) << "rollout " << i;
    dispatcher_.advance(milliseconds(200));
    const auto upstream = static_cast<uint16_t>(41000 + i);
    printForwarding(*tunnels().back(), forward->spec(), upstream);
    ASSERT_EQ(connect()->upstream_port, upstream) << "rollout " << i;
    dispatcher_.advance(milliseconds(100));
    pod("DELETED", old_pod, true);
  }
  EXPECT_FALSE(everLeftReady());
  EXPECT_EQ(observer_.switches.size(), 10u);
  EXPECT_EQ(forward->restarts(), 0) << "a switch is not a restart";
  for (const auto& connection : slow) {
    EXPECT_FALSE(connection->closed) << "drained on its pod until it went";
  }
}

TEST_F(ForwardSwitchTest, APodThatIsGoingToo_IsLeftForAnotherOne) {
  auto forward = readyOn("web-0");
  pod("ADDED", "web-1", false);
  pod("ADDED", "web-2", false);
  pod("MODIFIED", "web-0", true);
  const std::string first_choice = tunnels().back()->spec.argv[2];
  pod("MODIFIED", first_choice.substr(4), true);
  EXPECT_EQ(tunnels()[1]->terminate_calls, 1);
  ASSERT_EQ(tunnels().size(), 3u);
  EXPECT_NE(tunnels()[2]->spec.argv[2], first_choice);
  printForwarding(*tunnels()[2], forward->spec(), 41000);
  EXPECT_EQ(connect()->upstream_port, 41000);
}

TEST_F(ForwardSwitchTest, ANewPodFailingItsProbeIsRetriedWhileTheOldOneServes) {
  ForwardSpec spec = deploymentSpec();
  spec.readiness = ProbeSpec{.kind = ProbeSpec::Kind::kTcpSocket,
                             .port = 8080,
                             .period = seconds(1),
                             .failure_threshold = 1};
  auto forward = makeForward(spec);
  forward->activate();
  watch_ = launcher_.children()[0];
  pod("ADDED", "web-0", false);
  listed(*watch_);
  answer("Deployment\napp=web,\n\n\n");
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(seconds(1));
  prober_.completeAll(testing::probeSuccess());
  ASSERT_EQ(forward->state(), ForwardState::kReady);

  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  printForwarding(*tunnels()[1], spec, 41000);
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeFailure("connection refused"));  // the new pod's probe
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kReady) << "the old pod still serves";
  EXPECT_EQ(connect()->upstream_port, kFirstUpstreamPort);
  const size_t spawned = tunnels().size();
  dispatcher_.advance(milliseconds(500));
  ASSERT_EQ(tunnels().size(), spawned + 1) << "the switch is tried again after a backoff";
  printForwarding(*tunnels().back(), spec, 41001);
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  EXPECT_EQ(connect()->upstream_port, 41001);
  EXPECT_FALSE(everLeftReady());
}

TEST_F(ForwardSwitchTest, TheOldPodVanishingBeforeTheNewRunIsReadyHoldsConnectionsWithoutBackoff) {
  launcher_.setExitOnTerminate(false);
  auto forward = readyOn("web-0");
  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  tunnels()[0]->printError("error: lost connection to pod");
  tunnels()[0]->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  auto waiting = connect();
  EXPECT_FALSE(waiting->relayed());
  printForwarding(*tunnels()[1], forward->spec(), 41000);
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(waiting->upstream_port, 41000);
  for (const Transition& transition : observer_.transitions) {
    EXPECT_NE(transition.to, ForwardState::kBackoff);
  }
}

TEST_F(ForwardSwitchTest, ALostPodWithNoOtherReadyIsAWaitNotABackoffAndAReadyPodEndsIt) {
  launcher_.setExitOnTerminate(false);
  auto forward = readyOn("web-0");
  pod("MODIFIED", "web-0", true, /*ready=*/false);  // one replica, deleted; its session closed
  tunnels()[0]->printError("error: lost connection to pod");
  tunnels()[0]->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kStarting) << "waiting, not backing off";
  auto waiting = connect();
  EXPECT_FALSE(waiting->relayed());
  const size_t spawned = launcher_.spawnCount();
  pod("ADDED", "web-1", false, /*ready=*/false);
  EXPECT_EQ(launcher_.spawnCount(), spawned);
  pod("MODIFIED", "web-1", false, /*ready=*/true);
  ASSERT_EQ(tunnels().back()->spec.argv[2], "pod/web-1");
  printForwarding(*tunnels().back(), forward->spec(), 41000);
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(waiting->upstream_port, 41000);
  for (const Transition& transition : observer_.transitions) {
    EXPECT_NE(transition.to, ForwardState::kBackoff);
  }
}

TEST_F(ForwardSwitchTest, APromotedRunThatFindsNoReadyPodWaitsWithoutBackoff) {
  launcher_.setExitOnTerminate(false);
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  watch_ = launcher_.children()[0];
  answer("Deployment\napp=web,\n\n\n");
  pastTheListingWait();
  answer("web-0\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,\n");
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  // The watch has not listed the namespace yet: the next run asks kubectl for the pods.
  pod("MODIFIED", "web-0", true, /*ready=*/false);
  pastTheListingWait();
  ASSERT_EQ(launcher_.last()->spec.argv[2], "pods");
  auto get_pods = launcher_.last();
  tunnels()[0]->printError("error: lost connection to pod");
  tunnels()[0]->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  get_pods->print("web-0\t2026-11-24T10:00:00Z\tterminating\tRunning\tFalse\thttp=8000,");
  get_pods->exit(0);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kStarting) << "a wait for a pod, not a failure";
  for (const Transition& transition : observer_.transitions) {
    EXPECT_NE(transition.to, ForwardState::kBackoff);
  }
  pod("ADDED", "web-1", false);
  pastTheListingWait();
  ASSERT_EQ(launcher_.last()->spec.argv[2], "pods") << "a Ready pod starts it";
  ASSERT_NE(launcher_.last(), get_pods);
  answer("web-1\t2026-11-24T10:06:00Z\tlive\tRunning\tTrue\thttp=8000,\n");
  EXPECT_EQ(tunnels().back()->spec.argv[2], "pod/web-1");
}

TEST_F(ForwardSwitchTest, WhenKubectlReportsTheLossFirstTheWatchEndsTheFreshLookAtOnce) {
  auto forward = readyOn("web-0");
  pod("ADDED", "web-1", false);
  tunnels()[0]->printError("error: lost connection to pod");
  dispatcher_.runPosted();
  auto listing = launcher_.last();
  ASSERT_EQ(listing->spec.argv[2], "pods") << "the watch still says web-0 is live: look again";
  pod("MODIFIED", "web-0", true, /*ready=*/false);
  EXPECT_TRUE(listing->destroyed || listing->terminate_calls > 0 || !listing->alive)
      << "the listing is no longer needed";
  ASSERT_EQ(tunnels().back()->spec.argv[2], "pod/web-1") << "from the watch's pods, at once";
  for (const Transition& transition : observer_.transitions) {
    EXPECT_NE(transition.to, ForwardState::kBackoff);
  }
}

TEST_F(ForwardSwitchTest, WhenTheWatchKnewFirstALostPodNeedsNoFreshLook) {
  launcher_.setExitOnTerminate(false);
  auto forward = readyOn("web-0");
  pod("MODIFIED", "web-0", true, /*ready=*/false);  // no other pod: the switch waits
  const size_t spawned = launcher_.spawnCount();
  tunnels()[0]->printError("error: lost connection to pod");
  tunnels()[0]->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(launcher_.spawnCount(), spawned) << "no kubectl get pods: the watch knows";
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  pod("ADDED", "web-1", false);
  EXPECT_EQ(tunnels().back()->spec.argv[2], "pod/web-1");
}

TEST_F(ForwardSwitchTest, AReloadDuringASwitchReplacesBothRuns) {
  launcher_.setExitOnTerminate(false);
  auto forward = readyOn("web-0");
  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  ForwardSpec changed = deploymentSpec();
  changed.request_timeout = seconds(5);
  forward->replaceSpec(changed);
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
  EXPECT_EQ(tunnels()[1]->terminate_calls, 1);
  EXPECT_FALSE(forward->podSwitch().has_value());
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardSwitchTest, ARestartDuringASwitchReplacesBothRuns) {
  launcher_.setExitOnTerminate(false);
  auto forward = readyOn("web-0");
  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  forward->restart();
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
  EXPECT_EQ(tunnels()[1]->terminate_calls, 1);
  EXPECT_FALSE(forward->podSwitch().has_value());
  dispatcher_.runPosted();
  EXPECT_EQ(launcher_.last()->spec.argv[1], "port-forward");
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pod/web-1") << "the watch knows web-0 is going";
}

// `pfctl restart` and a reload that changes the forward replace its kubectl, but a response in
// the middle of its way finishes on the old one: only new connections wait for the new run.
TEST_F(ForwardSwitchTest, ARestartLetsOpenConnectionsFinishOnTheReplacedKubectl) {
  auto forward = readyOn("web-0");
  auto open = connect();
  forward->restart();
  EXPECT_EQ(tunnels()[0]->terminate_calls, 0) << "a connection still uses it";
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  ASSERT_EQ(forward->draining().size(), 1u);
  EXPECT_EQ(forward->draining()[0].connections, 1u);
  auto waiting = connect();
  EXPECT_FALSE(waiting->relayed()) << "new connections wait for the new kubectl";

  ASSERT_EQ(tunnels().size(), 2u);
  printForwarding(*tunnels()[1], forward->spec(), 41000);
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(waiting->upstream_port, 41000);
  EXPECT_EQ(connect()->upstream_port, 41000);
  EXPECT_EQ(tunnels()[0]->terminate_calls, 0);

  open->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1) << "its last connection closed";
  EXPECT_THAT(forward->draining(), IsEmpty());
}

TEST_F(ForwardSwitchTest, AReloadThatChangesTheForwardLetsOpenConnectionsFinish) {
  auto forward = readyOn("web-0");
  auto open = connect();
  ForwardSpec changed = deploymentSpec();
  changed.request_timeout = seconds(5);
  forward->replaceSpec(changed);
  EXPECT_EQ(tunnels()[0]->terminate_calls, 0);
  // A changed spec looks its target up again, and its pods, once its new watch has listed them.
  answer("Deployment\napp=web,\n\n\n");
  pastTheListingWait();
  answer("web-0\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,\n");
  ASSERT_EQ(tunnels().size(), 2u);
  printForwarding(*tunnels()[1], changed, 41000);
  EXPECT_EQ(connect()->upstream_port, 41000);
  open->end({.kind = RelayKind::kClosed, .upstream_answered = true});
  dispatcher_.runPosted();
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
}

TEST_F(ForwardSwitchTest, ARestartWithNothingOpenStopsTheOldKubectlAtOnce) {
  auto forward = readyOn("web-0");
  forward->restart();
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
  EXPECT_THAT(forward->draining(), IsEmpty());
}

TEST_F(ForwardSwitchTest, ARestartDrainsNoLongerThanDrainTimeout) {
  ForwardSpec spec = deploymentSpec();
  spec.drain_timeout = seconds(5);
  auto forward = readyOn("web-0", spec);
  auto slow = connect();
  forward->restart();
  dispatcher_.advance(milliseconds(4999));
  EXPECT_EQ(tunnels()[0]->terminate_calls, 0);
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(tunnels()[0]->terminate_calls, 1);
}

TEST_F(ForwardSwitchTest, ABarePodTargetHasNowhereToSwitchTo) {
  ForwardSpec spec = kubectlSpec();  // pod/web-1
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  EXPECT_EQ(launcher_.spawnCount(), 1u) << "no pod watch for a bare pod";
  EXPECT_FALSE(forward->podSwitch().has_value());
}

// Replay: a connection whose upstream failed before a byte came back never reached the app.
class ForwardReplayTest : public ForwardTestBase {
 protected:
  testing::FakeConnectionPtr connect() { return relay_.connect("127.0.0.1", 8080); }
};

TEST_F(ForwardReplayTest, AConnectionKubectlCouldNotDeliverIsReplayedOnTheNextRun) {
  launcher_.setExitOnTerminate(false);
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  auto request = connect();
  ASSERT_EQ(request->upstream_port, kFirstUpstreamPort);
  EXPECT_EQ(request->options.replay_buffer, 64u * 1024);
  // kubectl closed it while reporting that the pod is gone; then it dies.
  request->end({.kind = RelayKind::kUpstreamFailed,
                .reason = "closed by 127.0.0.1:40001 before answering",
                .replayable = true,
                .bytes_in = 78});
  dispatcher_.runPosted();
  EXPECT_FALSE(request->closed);
  EXPECT_EQ(request->relay_calls, 1) << "not sent again to the kubectl that failed it";
  launcher_.last()->printError("error: lost connection to pod");
  launcher_.last()->exit(1);
  dispatcher_.advance(milliseconds(500));
  printForwarding(*launcher_.last(), forward->spec(), 40011);
  dispatcher_.runPosted();
  EXPECT_EQ(request->relay_calls, 2);
  EXPECT_EQ(request->upstream_port, 40011);
  ConnectionCounters counters = *forward->connections();
  EXPECT_EQ(counters.replayed, 1u);
  EXPECT_EQ(counters.failed, 0u);
  EXPECT_EQ(counters.active, 1u);
}

TEST_F(ForwardReplayTest, ReplayGoesAtOnceToAnotherRunThatAlreadyServes) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  auto request = connect();
  forward->restart();
  printForwarding(*launcher_.last(), forward->spec(), 40011);
  request->end({.kind = RelayKind::kUpstreamFailed, .replayable = true});
  dispatcher_.runPosted();
  EXPECT_EQ(request->upstream_port, 40011);
}

TEST_F(ForwardReplayTest, NeverReplayedOnceTheUpstreamAnswered) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  auto request = connect();
  request->end(
      {.kind = RelayKind::kError, .reason = "reset by 127.0.0.1:40001", .upstream_answered = true});
  dispatcher_.runPosted();
  EXPECT_TRUE(request->closed);
  EXPECT_EQ(forward->connections()->failed, 1u);
  EXPECT_EQ(forward->connections()->replayed, 0u);
}

TEST_F(ForwardReplayTest, NotReplayableWhenTheClientSentMoreThanTheBufferKept) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  auto request = connect();
  request->end({.kind = RelayKind::kUpstreamFailed, .replayable = false});
  dispatcher_.runPosted();
  EXPECT_TRUE(request->closed);
  EXPECT_EQ(forward->connections()->failed, 1u);
}

TEST_F(ForwardReplayTest, ReplayBufferZeroTurnsReplayOff) {
  ForwardSpec spec = kubectlSpec();
  spec.replay_buffer = 0;
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  auto request = connect();
  EXPECT_EQ(request->options.replay_buffer, 0u);
  request->end({.kind = RelayKind::kUpstreamFailed, .replayable = true});
  dispatcher_.runPosted();
  EXPECT_TRUE(request->closed);
}

TEST_F(ForwardReplayTest, AReplayedConnectionWaitsNoLongerThanHoldTimeout) {
  ForwardSpec spec = kubectlSpec();
  spec.hold_timeout = seconds(3);
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  auto request = connect();
  request->end({.kind = RelayKind::kUpstreamFailed, .replayable = true});
  dispatcher_.runPosted();
  dispatcher_.advance(seconds(3));
  dispatcher_.runPosted();
  EXPECT_TRUE(request->closed);
  EXPECT_EQ(forward->connections()->dropped, 1u);
}

}  // namespace
}  // namespace pfd::core
