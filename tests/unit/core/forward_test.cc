#include "daemon/core/forward.h"

#include <csignal>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ForwardTest : public ForwardTestBase {};

TEST_F(ForwardTest, SpawnsKubectlAndIsStartingUntilEveryPortForwards) {
  ForwardSpec spec = kubectlSpec();
  spec.ports = {{8080, "8000"}, {9090, ""}};
  auto forward = makeForward(spec);
  forward->activate();
  ASSERT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  EXPECT_THAT(launcher_.last()->spec.argv, ::testing::Contains("port-forward"));
  EXPECT_EQ(forward->pid(), launcher_.last()->pid);

  launcher_.last()->print("Forwarding from 127.0.0.1:8080 -> 8000");
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  launcher_.last()->print("Forwarding from 127.0.0.1:9090 -> 9090");
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_THAT(observer_.states(), ElementsAre(ForwardState::kStarting, ForwardState::kReady));
}

TEST_F(ForwardTest, DisabledForwardStaysStopped) {
  ForwardSpec spec = kubectlSpec();
  spec.enabled = false;
  auto forward = makeForward(spec);
  forward->activate();
  EXPECT_EQ(launcher_.spawnCount(), 0u);
  EXPECT_EQ(forward->state(), ForwardState::kStopped);
}

TEST_F(ForwardTest, ExitBacksOffWithTheLastErrorThenRestarts) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  launcher_.last()->printError("error: lost connection to pod");
  dispatcher_.runPosted();  // the broken line kills the child
  EXPECT_EQ(launcher_.last()->terminate_calls, 1);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("lost connection to pod"));
  EXPECT_EQ(dispatcher_.nextTimerIn(), 500);
  ASSERT_TRUE(forward->nextRetry().has_value());
  EXPECT_EQ(*forward->nextRetry(), dispatcher_.systemTime() + milliseconds(500));

  dispatcher_.advance(milliseconds(499));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  EXPECT_EQ(forward->restarts(), 1);
}

TEST_F(ForwardTest, ConsecutiveFailuresDoubleTheDelayUpToTheCap) {
  ForwardSpec spec = kubectlSpec();
  spec.backoff.max = milliseconds(3000);
  auto forward = makeForward(spec);
  forward->activate();
  std::vector<long long> delays;
  for (int i = 0; i < 5; ++i) {
    launcher_.last()->exit(1);
    delays.push_back(dispatcher_.nextTimerIn());
    dispatcher_.advance(milliseconds(delays.back()));
  }
  EXPECT_THAT(delays, ElementsAre(500, 1000, 2000, 3000, 3000));
  EXPECT_EQ(launcher_.spawnCount(), 6u);
}

TEST_F(ForwardTest, DelayResetsAfterStayingReadyForResetAfter) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  for (int i = 0; i < 3; ++i) {
    launcher_.last()->exit(1);
    dispatcher_.advance(milliseconds(dispatcher_.nextTimerIn()));
  }
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(seconds(59));
  launcher_.last()->exit(1);
  EXPECT_EQ(dispatcher_.nextTimerIn(), 0) << "it was healthy: the first retry is immediate";
  dispatcher_.advance(milliseconds(0));
  launcher_.last()->exit(1);
  EXPECT_EQ(dispatcher_.nextTimerIn(), 4000) << "59s READY is not long enough to forgive";

  dispatcher_.advance(milliseconds(4000));
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(seconds(60));
  launcher_.last()->exit(1);
  dispatcher_.advance(milliseconds(0));
  launcher_.last()->exit(1);
  EXPECT_EQ(dispatcher_.nextTimerIn(), 500) << "60s READY forgave the earlier failures";
}

TEST_F(ForwardTest, AHealthyForwardThatBreaksIsRetriedAtOnce) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(seconds(5));
  launcher_.last()->printError("error: lost connection to pod");
  dispatcher_.advance(milliseconds(0));
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_THAT(observer_.transitions.back().reason, HasSubstr("started pid"));
  EXPECT_THAT(observer_.transitions[observer_.transitions.size() - 2].reason,
              HasSubstr("retrying at once"));
}

TEST_F(ForwardTest, AForwardThatKeepsBreakingAfterAFewSecondsOfReadyBacksOff) {
  ForwardSpec spec = kubectlSpec();
  spec.backoff.jitter = 0;
  auto forward = makeForward(spec);
  forward->activate();
  std::vector<std::string> retries;
  for (int run = 0; run < 4; ++run) {
    printForwarding(*launcher_.last(), spec);
    dispatcher_.advance(milliseconds(1500));
    launcher_.last()->exit(1);
    retries.push_back(observer_.transitions.back().reason);
    dispatcher_.advance(std::chrono::milliseconds(dispatcher_.nextTimerIn()));
  }
  EXPECT_THAT(retries, ElementsAre(HasSubstr("retrying at once"), HasSubstr("retrying in 500ms"),
                                   HasSubstr("retrying in 1s"), HasSubstr("retrying in 2s")));
}

TEST_F(ForwardTest, AForwardThatBreaksRightAfterReadyBacksOff) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  dispatcher_.advance(milliseconds(999));
  launcher_.last()->exit(1);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(dispatcher_.nextTimerIn(), 500);
}

TEST_F(ForwardTest, ExitCodeZeroIsAFailureToo) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  launcher_.last()->exit(0);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("exited with code 0"));
}

TEST_F(ForwardTest, BrokenLineWhileKubectlStaysAliveTriggersARestart) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  launcher_.last()->printError(
      "E1124 19:41:29.123456 1 portforward.go:424] \"Unhandled Error\" err=\"an error occurred "
      "forwarding 8080 -> 8000: error forwarding port 8000 to pod web-1, uid : failed to connect "
      "to localhost:8000 inside namespace: connect: connection refused\"");
  EXPECT_EQ(launcher_.last()->terminate_calls, 1);
  EXPECT_EQ(launcher_.last()->grace, context_.stop_grace);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->pod(), "web-1");
  EXPECT_THAT(forward->lastError(), StartsWith("app not listening on port 8000 in pod web-1"));
}

TEST_F(ForwardTest, StartWithoutForwardingLinesIsKilledAtTheDeadline) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  dispatcher_.advance(milliseconds(29999));
  EXPECT_EQ(launcher_.last()->terminate_calls, 0);
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(launcher_.last()->terminate_calls, 1);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("did not forward ports 8080:8000 within 30s"));
}

TEST_F(ForwardTest, ErrorLinesBeforeExitBecomeTheReason) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  launcher_.last()->printError("Error from server (NotFound): deployments.apps \"web\" not found");
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  launcher_.last()->exit(1);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "NotFound: deployments.apps \"web\" not found");
  EXPECT_THAT(observer_.transitions.back().reason, HasSubstr("retrying in 500ms"));
}

TEST_F(ForwardTest, ProgramNotFoundFailsWithoutRetrying) {
  launcher_.failNextSpawn(absl::NotFoundError("kubectl: program not found on PATH (/usr/bin)"));
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  EXPECT_EQ(forward->state(), ForwardState::kFailed);
  EXPECT_THAT(forward->lastError(), HasSubstr("program not found"));
  EXPECT_EQ(dispatcher_.enabledTimers(), 0u);
  dispatcher_.advance(seconds(600));
  EXPECT_EQ(launcher_.spawnAttempts(), 1u);

  forward->restart();
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardTest, AProgramThatCannotBeExecutedFailsWithoutRetrying) {
  ForwardSpec spec{.name = "bastion", .command = {"/opt/tunnel"}, .ports = {{5432, ""}}};
  auto forward = makeForward(spec);
  forward->activate();
  launcher_.last()->exit(process::ExitStatus{
      .exit_code = 127, .exec_error = "cannot execute /opt/tunnel: Exec format error"});
  EXPECT_EQ(forward->state(), ForwardState::kFailed);
  EXPECT_THAT(forward->lastError(), StartsWith("cannot execute /opt/tunnel: Exec format error"));
  EXPECT_EQ(dispatcher_.enabledTimers(), 0u);
  dispatcher_.advance(seconds(600));
  EXPECT_EQ(launcher_.spawnAttempts(), 1u);
}

TEST_F(ForwardTest, TransientSpawnErrorBacksOff) {
  launcher_.failNextSpawn(absl::UnavailableError("fork: resource temporarily unavailable"));
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  dispatcher_.advance(milliseconds(500));
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardTest, StopTerminatesAndNeverRestarts) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  forward->stop();
  EXPECT_EQ(forward->state(), ForwardState::kStopped);
  EXPECT_EQ(launcher_.last()->terminate_calls, 1);
  dispatcher_.runPosted();
  EXPECT_FALSE(launcher_.last()->alive);
  EXPECT_EQ(forward->pid(), 0);
  dispatcher_.advance(seconds(600));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStopped);

  forward->start();
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardTest, StopDuringBackoffCancelsTheRetry) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  launcher_.last()->exit(1);
  forward->stop();
  dispatcher_.advance(seconds(60));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStopped);
}

TEST_F(ForwardTest, StartWhileTheOldChildIsStillStoppingWaitsForItsExitWhenKubectlBindsThePorts) {
  launcher_.setExitOnTerminate(false);
  ForwardSpec spec = kubectlSpec();
  spec.hold_port = false;
  auto forward = makeForward(spec);
  forward->activate();
  forward->stop();
  forward->start();
  EXPECT_EQ(launcher_.spawnCount(), 1u) << "the old child still holds the port";
  launcher_.last()->exit(0, SIGTERM);
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardTest, StartWhileTheOldChildIsStillStoppingDoesNotWaitWhenPfdHoldsThePorts) {
  launcher_.setExitOnTerminate(false);
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  forward->restart();
  EXPECT_EQ(launcher_.spawnCount(), 2u) << "the old kubectl holds only its own ephemeral port";
  EXPECT_TRUE(launcher_.children()[0]->alive);
  EXPECT_EQ(launcher_.children()[0]->terminate_calls, 1);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  EXPECT_EQ(forward->pid(), launcher_.last()->pid);
}

TEST_F(ForwardTest, RestartReplacesTheChildWithoutBackoff) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  const pid_t old_pid = forward->pid();
  forward->restart();
  dispatcher_.runPosted();
  ASSERT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_NE(forward->pid(), old_pid);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  EXPECT_EQ(forward->restarts(), 1);
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
}

TEST_F(ForwardTest, RestartDuringBackoffStartsNowAndForgetsFailures) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  for (int i = 0; i < 4; ++i) {
    launcher_.last()->exit(1);
    dispatcher_.advance(milliseconds(dispatcher_.nextTimerIn()));
  }
  launcher_.last()->exit(1);
  EXPECT_EQ(dispatcher_.nextTimerIn(), 8000);
  forward->restart();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  launcher_.last()->exit(1);
  EXPECT_EQ(dispatcher_.nextTimerIn(), 500);
}

TEST_F(ForwardTest, PortInUseNamesTheHolderWhenKubectlBindsThePorts) {
  port_owners_[8080] = "pid 4242 (python3)";
  ForwardSpec spec = kubectlSpec();
  spec.hold_port = false;
  auto forward = makeForward(spec);
  forward->activate();
  launcher_.last()->printError(
      "Unable to listen on port 8080: Listeners failed to create with the following errors: "
      "[unable to create listener: Error listen tcp4 127.0.0.1:8080: bind: address already in "
      "use]");
  launcher_.last()->printError(
      "error: unable to listen on any of the requested ports: [{8080 8000}]");
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "local port 8080 is already in use by pid 4242 (python3)");
}

TEST_F(ForwardTest, KeepsTheLastThousandLines) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  for (int i = 0; i < 1500; ++i) {
    launcher_.last()->print("line #" + std::to_string(i));
  }
  size_t output_lines = 0;
  for (const LogLine& line : forward->logs().tail(0)) {
    output_lines += line.source == LogLine::Source::kPfd ? 0 : 1;
  }
  EXPECT_EQ(output_lines, 1000u);
  EXPECT_EQ(forward->logs().tail(1).front().text, "line #1499");
}

TEST_F(ForwardTest, CountsKubectlConnectionLinesInsteadOfKeepingThem) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  launcher_.last()->printError("E0101 10:00:00.000000   42 portforward.go:413] a real error");
  for (int i = 0; i < 1500; ++i) {
    launcher_.last()->print("Handling connection for 8080");
  }
  EXPECT_EQ(forward->kubectlConnections(), 1500u);
  std::vector<std::string> output;
  for (const LogLine& line : forward->logs().tail(0)) {
    if (line.source != LogLine::Source::kPfd) {
      output.push_back(line.text);
    }
  }
  EXPECT_THAT(output,
              ::testing::ElementsAre("E0101 10:00:00.000000   42 portforward.go:413] a real error"))
      << "the connections must not push the error out";
}

TEST_F(ForwardTest, ACommandForwardWhosePortIsTakenIsNotStartedAndSaysByWhom) {
  ForwardSpec spec{
      .name = "bastion", .command = {"ssh", "-N", "bastion"}, .ports = {{5432, ""}, {6379, ""}}};
  spec.backoff.jitter = 0;
  port_owners_[6379] = "pid 4242 (redis-server)";
  auto forward = makeForward(spec);
  forward->activate();
  EXPECT_EQ(launcher_.spawnAttempts(), 0u) << "its own port check would reach the other process";
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "local port 6379 is already in use by pid 4242 (redis-server)");

  port_owners_.clear();
  dispatcher_.advance(milliseconds(500));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardTest, CommandForwardIsReadyWhenItsPortsAcceptConnections) {
  ForwardSpec spec{
      .name = "bastion", .command = {"ssh", "-N", "bastion"}, .ports = {{5432, ""}, {6379, ""}}};
  spec.backoff.jitter = 0;
  auto forward = makeForward(spec);
  forward->activate();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  ASSERT_EQ(prober_.pending().size(), 2u);
  EXPECT_EQ(prober_.pending()[0]->spec.kind, ProbeSpec::Kind::kTcpSocket);
  prober_.pending()[0]->complete(testing::probeSuccess("connected"));
  prober_.pending()[0]->complete(testing::probeFailure("connection refused"));
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  dispatcher_.advance(context_.port_check_interval);
  ASSERT_EQ(prober_.pending().size(), 1u) << "only the port that was not up is tried again";
  EXPECT_EQ(prober_.pending()[0]->spec.port, 6379);
  prober_.pending()[0]->complete(testing::probeSuccess("connected"));
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  dispatcher_.advance(seconds(5));
  EXPECT_TRUE(prober_.pending().empty()) << "no more port checks once READY";
}

TEST_F(ForwardTest, CommandForwardExitReasonIsItsLastStderrLine) {
  ForwardSpec spec{.name = "bastion", .command = {"ssh", "-N", "bastion"}, .ports = {{5432, ""}}};
  auto forward = makeForward(spec);
  forward->activate();
  launcher_.last()->printError("ssh: connect to host bastion port 22: Connection refused");
  launcher_.last()->exit(255);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "ssh: connect to host bastion port 22: Connection refused");
}

TEST_F(ForwardTest, ShutdownReportsIdleOnceTheChildExited) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  forward->shutdown();
  EXPECT_EQ(observer_.idle_calls, 0);
  dispatcher_.runPosted();
  EXPECT_EQ(observer_.idle_calls, 1);
  dispatcher_.advance(seconds(60));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
}

TEST_F(ForwardTest, ShutdownWithoutChildIsIdleAtOnce) {
  ForwardSpec spec = kubectlSpec();
  spec.enabled = false;
  auto forward = makeForward(spec);
  forward->activate();
  forward->shutdown();
  EXPECT_EQ(observer_.idle_calls, 1);
}

TEST_F(ForwardTest, ChangedSpecReplacesTheRunningChild) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  ForwardSpec changed = kubectlSpec();
  changed.namespace_name = "shop";
  forward->replaceSpec(changed);
  dispatcher_.runPosted();
  ASSERT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_THAT(launcher_.last()->spec.argv, ::testing::Contains("shop"));
}

TEST_F(ForwardTest, UserStoppedForwardStaysStoppedAcrossASpecChange) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  forward->stop();
  dispatcher_.runPosted();
  ForwardSpec changed = kubectlSpec();
  changed.namespace_name = "shop";
  forward->replaceSpec(changed);
  dispatcher_.runPosted();
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStopped);
}

TEST_F(ForwardTest, DisabledForwardStartsWhenEnabledByAReload) {
  ForwardSpec spec = kubectlSpec();
  spec.enabled = false;
  auto forward = makeForward(spec);
  forward->activate();
  forward->replaceSpec(kubectlSpec());
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
}

TEST_F(ForwardTest, PodTargetKnowsItsPod) {
  ForwardSpec spec = kubectlSpec();
  spec.target = "pod/db-0";
  EXPECT_EQ(makeForward(spec)->pod(), "db-0");
  spec.target = "db-1";
  EXPECT_EQ(makeForward(spec)->pod(), "db-1");
  spec.target = "Pod/db-2";  // kinds are case-insensitive, as for kubectl
  EXPECT_EQ(makeForward(spec)->pod(), "db-2");
  spec.target = "service/db";
  EXPECT_EQ(makeForward(spec)->pod(), "");
}

TEST_F(ForwardTest, TransitionsAreWrittenToTheForwardsLog) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  bool found = false;
  for (const LogLine& line : forward->logs().tail(0)) {
    found = found || (line.source == LogLine::Source::kPfd &&
                      line.text.find("STARTING -> READY") != std::string::npos);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace pfd::core
