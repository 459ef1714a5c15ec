// pfd holds each forward's local ports: connections wait through a heal instead of being refused,
// and a replaced pod is not a failure.
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class ForwardHeldPortsTest : public ForwardTestBase {
 protected:
  testing::FakeConnectionPtr connect(uint16_t port = 8080) {
    auto connection = relay_.connect("127.0.0.1", port);
    EXPECT_NE(connection, nullptr) << "nothing listens on " << port;
    return connection;
  }

  bool logged(const Forward& forward, const std::string& text) const {
    for (const LogLine& line : forward.logs().tail(0)) {
      if (line.text.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  bool everBackedOff() const {
    for (const Transition& transition : observer_.transitions) {
      if (transition.to == ForwardState::kBackoff) {
        return true;
      }
    }
    return false;
  }
};

TEST_F(ForwardHeldPortsTest, PfdBindsTheLocalPortAndKubectlTakesAnEphemeralOne) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080));
  const auto& argv = launcher_.last()->spec.argv;
  EXPECT_THAT(argv, Contains("0:8000"));
  EXPECT_THAT(argv, Not(Contains("8080:8000")));
}

TEST_F(ForwardHeldPortsTest, LocalhostBindsBothLoopbackAddressesAsKubectlDoes) {
  ForwardSpec spec = kubectlSpec();
  spec.address = "localhost";
  auto forward = makeForward(spec);
  forward->activate();
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080));
  EXPECT_TRUE(relay_.listening("::1", 8080));
  EXPECT_THAT(launcher_.last()->spec.argv, Contains("127.0.0.1")) << "kubectl stays on loopback";
}

TEST_F(ForwardHeldPortsTest, AConnectionBeforeReadyWaitsThenGoesToKubectlsPort) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  auto early = connect();
  EXPECT_FALSE(early->relayed()) << "no kubectl forwards yet: held, unread";
  EXPECT_EQ(forward->connections()->held, 1u);
  dispatcher_.advance(milliseconds(300));
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  ASSERT_TRUE(early->relayed());
  EXPECT_EQ(early->upstream_host, "127.0.0.1");
  EXPECT_EQ(early->upstream_port, kFirstUpstreamPort);
  auto later = connect();
  EXPECT_EQ(later->upstream_port, kFirstUpstreamPort) << "relayed at once while READY";
  ConnectionCounters counters = *forward->connections();
  EXPECT_EQ(counters.accepted, 2u);
  EXPECT_EQ(counters.active, 2u);
  EXPECT_EQ(counters.held, 0u);
  EXPECT_EQ(counters.hold_p50, milliseconds(300)) << "only connections that waited count";
}

TEST_F(ForwardHeldPortsTest, EachLocalPortGoesToItsOwnUpstreamPort) {
  ForwardSpec spec = kubectlSpec();
  spec.ports = {{8080, "8000"}, {9090, "9000"}};
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  EXPECT_EQ(connect(8080)->upstream_port, kFirstUpstreamPort);
  EXPECT_EQ(connect(9090)->upstream_port, kFirstUpstreamPort + 1);
}

TEST_F(ForwardHeldPortsTest, ConnectionsWaitThroughABackoffAndGoToTheNextRun) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  launcher_.last()->exit(1);
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080)) << "the port stays bound through BACKOFF";
  auto waiting = connect();
  EXPECT_FALSE(waiting->relayed());
  dispatcher_.advance(milliseconds(500));
  ASSERT_EQ(launcher_.spawnCount(), 2u);
  printForwarding(*launcher_.last(), forward->spec(), 40011);
  EXPECT_EQ(waiting->upstream_port, 40011);
  EXPECT_FALSE(waiting->closed);
}

TEST_F(ForwardHeldPortsTest, ARunThatBreaksGetsNoNewConnections) {
  launcher_.setExitOnTerminate(false);
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  launcher_.last()->printError("error: lost connection to pod");
  auto after = connect();
  EXPECT_FALSE(after->relayed()) << "not to a kubectl that is being killed";
}

TEST_F(ForwardHeldPortsTest, HoldTimeoutClosesConnectionsThatWaitedTooLongAndSaysHowMany) {
  ForwardSpec spec = kubectlSpec();
  spec.hold_timeout = seconds(2);
  auto forward = makeForward(spec);
  forward->activate();
  auto first = connect();
  auto second = connect();
  dispatcher_.advance(seconds(1));
  auto third = connect();
  dispatcher_.advance(seconds(1));
  dispatcher_.runPosted();
  EXPECT_TRUE(first->closed);
  EXPECT_TRUE(second->closed);
  EXPECT_FALSE(third->closed);
  EXPECT_TRUE(logged(*forward, "2 connections waited 2s (holdTimeout) and no kubectl served"));
  EXPECT_EQ(forward->connections()->dropped, 2u);
  EXPECT_EQ(forward->connections()->held, 1u);
  dispatcher_.advance(seconds(1));
  dispatcher_.runPosted();
  EXPECT_TRUE(third->closed);
  EXPECT_TRUE(logged(*forward, "1 connection waited 2s (holdTimeout)"));
}

TEST_F(ForwardHeldPortsTest, HoldTimeoutZeroClosesAConnectionAtOnceWhileNoKubectlServes) {
  ForwardSpec spec = kubectlSpec();
  spec.hold_timeout = milliseconds(0);
  auto forward = makeForward(spec);
  forward->activate();
  auto connection = connect();
  dispatcher_.runPosted();
  EXPECT_TRUE(connection->closed);
  EXPECT_EQ(forward->connections()->dropped, 1u);
}

TEST_F(ForwardHeldPortsTest, FailedKeepsThePortAndClosesNewConnectionsAtOnceWithTheReason) {
  launcher_.failNextSpawn(absl::NotFoundError("kubectl: program not found on PATH (/usr/bin)"));
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  ASSERT_EQ(forward->state(), ForwardState::kFailed);
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080));
  auto refused = connect();
  dispatcher_.runPosted();
  EXPECT_TRUE(refused->closed);
  EXPECT_TRUE(logged(*forward, "closed: the forward is FAILED: kubectl: program not found"));

  forward->restart();
  auto waiting = connect();
  dispatcher_.runPosted();
  EXPECT_FALSE(waiting->closed) << "a new run may serve it";
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_TRUE(waiting->relayed());
}

TEST_F(ForwardHeldPortsTest, StopReleasesThePortsAndStartBindsThemAgain) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  auto open = connect();
  forward->stop();
  dispatcher_.runPosted();
  EXPECT_FALSE(relay_.listening("127.0.0.1", 8080));
  EXPECT_TRUE(open->closed);
  forward->start();
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080));
}

TEST_F(ForwardHeldPortsTest, APortInUseBacksOffNamingItsHolderAndIsBoundOnTheRetry) {
  relay_.occupy("127.0.0.1", 8080);
  port_owners_[8080] = "pid 4242 (python3)";
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "local port 8080 is already in use by pid 4242 (python3)");
  EXPECT_EQ(launcher_.spawnAttempts(), 0u) << "no kubectl while the port cannot be held";
  relay_.vacate("127.0.0.1", 8080);
  dispatcher_.advance(milliseconds(500));
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardHeldPortsTest, AReloadThatKeepsThePortKeepsTheListenerAndItsConnections) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  auto waiting = connect();
  const size_t listens = relay_.listenCalls();
  ForwardSpec changed = kubectlSpec();
  changed.namespace_name = "shop";
  forward->replaceSpec(changed);
  dispatcher_.runPosted();
  EXPECT_EQ(relay_.listenCalls(), listens) << "the same listener";
  EXPECT_FALSE(waiting->closed);
  printForwarding(*launcher_.last(), changed);
  EXPECT_TRUE(waiting->relayed());
  EXPECT_THAT(launcher_.last()->spec.argv, Contains("shop"));
}

TEST_F(ForwardHeldPortsTest, AReloadThatMovesThePortRebindsAtOnce) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  ForwardSpec moved = kubectlSpec();
  moved.ports = {{8081, "8000"}};
  forward->replaceSpec(moved);
  EXPECT_FALSE(relay_.listening("127.0.0.1", 8080));
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8081));
}

TEST_F(ForwardHeldPortsTest, HoldPortFalseLetsKubectlBindTheLocalPort) {
  ForwardSpec spec = kubectlSpec();
  spec.hold_port = false;
  auto forward = makeForward(spec);
  forward->activate();
  EXPECT_FALSE(relay_.listening("127.0.0.1", 8080));
  EXPECT_THAT(launcher_.last()->spec.argv, Contains("8080:8000"));
  EXPECT_FALSE(forward->connections().has_value());
}

TEST_F(ForwardHeldPortsTest, CountersAddUpClosedAndFailedConnectionsAndTheirBytes) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  auto ok = connect();
  auto refused = connect();
  ok->bytes_in = 100;
  ok->bytes_out = 5000;
  EXPECT_EQ(forward->connections()->bytes_out, 5000u) << "live bytes count too";
  ok->end({.kind = relay::RelayEnd::Kind::kClosed, .bytes_in = 120, .bytes_out = 6000});
  refused->end({.kind = relay::RelayEnd::Kind::kUpstreamFailed,
                .reason = "connection refused by 127.0.0.1:40001"});
  dispatcher_.runPosted();
  ConnectionCounters counters = *forward->connections();
  EXPECT_EQ(counters.accepted, 2u);
  EXPECT_EQ(counters.active, 0u);
  EXPECT_EQ(counters.failed, 1u);
  EXPECT_EQ(counters.bytes_in, 120u);
  EXPECT_EQ(counters.bytes_out, 6000u);
  EXPECT_TRUE(ok->closed);
}

TEST_F(ForwardHeldPortsTest, AnHttpProbeChecksThisRunsKubectlNotTheHeldPort) {
  ForwardSpec spec = kubectlSpec();
  spec.readiness = ProbeSpec{.kind = ProbeSpec::Kind::kHttpGet, .port = 8080, .path = "/healthz"};
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(spec.readiness->period));
  ASSERT_EQ(prober_.pending().size(), 1u);
  EXPECT_EQ(prober_.pending()[0]->address, "127.0.0.1");
  EXPECT_EQ(prober_.pending()[0]->spec.port, kFirstUpstreamPort);
}

TEST_F(ForwardHeldPortsTest, AnExecProbeIsToldTheUpstreamPortInItsEnvironment) {
  ForwardSpec spec = kubectlSpec();
  spec.readiness = ProbeSpec{.kind = ProbeSpec::Kind::kExec, .command = {"check"}};
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(spec.readiness->period));
  ASSERT_EQ(prober_.pending().size(), 1u);
  const auto& environment = prober_.pending()[0]->spec.environment;
  EXPECT_THAT(environment, Contains(std::make_pair(std::string("PFD_UPSTREAM_PORT"),
                                                   std::to_string(kFirstUpstreamPort))));
  EXPECT_THAT(environment, Contains(std::make_pair(std::string("PFD_UPSTREAM_PORT_8080"),
                                                   std::to_string(kFirstUpstreamPort))));
}

TEST_F(ForwardHeldPortsTest, ConnectionsWaitWhileTheProbeFailsAndTheRunIsReplaced) {
  ForwardSpec spec = kubectlSpec();
  spec.readiness = ProbeSpec{.kind = ProbeSpec::Kind::kTcpSocket,
                             .port = 8080,
                             .period = seconds(1),
                             .failure_threshold = 1};
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(seconds(1));
  prober_.completeAll(testing::probeSuccess());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  dispatcher_.advance(seconds(1));
  prober_.completeAll(testing::probeFailure("connection refused"));
  ASSERT_EQ(forward->state(), ForwardState::kUnhealthy);
  auto waiting = connect();
  EXPECT_FALSE(waiting->relayed()) << "not to the unhealthy run";
  dispatcher_.runPosted();
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  dispatcher_.advance(milliseconds(dispatcher_.nextTimerIn()));
  printForwarding(*launcher_.last(), spec, 40021);
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(waiting->upstream_port, 40021);
}

// Workload targets: the pod is chosen by pfd, and a pod that goes away is an event, not a failure.
class ForwardPodMoveTest : public ForwardHeldPortsTest {
 protected:
  static ForwardSpec deploymentSpec() {
    ForwardSpec spec = kubectlSpec();
    spec.target = "deployment/web";
    return spec;
  }

  static std::string pods(const std::string& live, const std::string& terminating = "") {
    std::string out = live + "\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,\n";
    if (!terminating.empty()) {
      out += terminating + "\t2026-11-24T10:00:00Z\tterminating\tRunning\tTrue\thttp=8000,\n";
    }
    return out;
  }

  static constexpr const char* kDeployment = "Deployment\napp=web,\n\n\n";
};

TEST_F(ForwardPodMoveTest, KubectlLosingAPodThatIsGoneMovesWithoutBackoffEveryTime) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  answer(kDeployment);
  answer(pods("web-0"));
  for (int i = 0; i < 10; ++i) {
    printForwarding(*launcher_.last(), forward->spec());
    ASSERT_EQ(forward->state(), ForwardState::kReady) << "loss " << i;
    dispatcher_.advance(milliseconds(200));  // far shorter than a healthy run
    launcher_.last()->printError("error: lost connection to pod");
    dispatcher_.runPosted();
    // The fresh look: the pod it lost is terminating, another is live.
    const auto& get_pods = launcher_.last()->spec.argv;
    ASSERT_EQ(get_pods[2], "pods") << "a kubectl get pods, not the cache";
    auto waiting = connect();
    answer(pods("web-" + std::to_string(i + 1), "web-" + std::to_string(i)));
    ASSERT_EQ(launcher_.last()->spec.argv[2], "pod/web-" + std::to_string(i + 1));
    EXPECT_EQ(forward->state(), ForwardState::kStarting);
    EXPECT_FALSE(waiting->closed);
  }
  EXPECT_FALSE(everBackedOff());
  EXPECT_TRUE(logged(*forward, "pod web-9 is gone: moving to pod web-10"));
}

TEST_F(ForwardPodMoveTest, KubectlLosingAPodThatIsStillThereIsAFailureThatBacksOff) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  answer(kDeployment);
  answer(pods("web-0"));
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(milliseconds(200));
  launcher_.last()->printError("error: lost connection to pod");
  dispatcher_.runPosted();
  answer(pods("web-0"));
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("lost connection to pod web-0"));
  EXPECT_EQ(dispatcher_.nextTimerIn(), 500);
}

TEST_F(ForwardPodMoveTest, AFreshLookThatGotNoAnswerSettlesNothingAboutThePodItLookedFor) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  answer(kDeployment);
  answer(pods("web-0"));
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(milliseconds(200));
  launcher_.last()->exit(1);  // the API server went away and cut the session
  dispatcher_.runPosted();
  launcher_.last()->printError("The connection to the server 127.0.0.1:6443 was refused");
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("API server unreachable"));
  dispatcher_.advance(milliseconds(dispatcher_.nextTimerIn()));
  // The API server's failure says nothing about the deployment: its selector is kept.
  answer(pods("web-0"));
  EXPECT_EQ(forward->state(), ForwardState::kStarting) << "web-0 is fine: kubectl starts on it";
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pod/web-0");
}

TEST_F(ForwardPodMoveTest, APodThatWasHealthyAndIsStillThereIsRetriedOnceAtOnce) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  answer(kDeployment);
  answer(pods("web-0"));
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(seconds(5));
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  answer(pods("web-0"));
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pod/web-0");
  EXPECT_TRUE(logged(*forward, "pod web-0 is still there; it was healthy, so retrying at once"));
}

}  // namespace
}  // namespace pfd::core
