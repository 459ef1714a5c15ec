#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ForwardReadinessTest : public ForwardTestBase {
 protected:
  static ForwardSpec probedSpec(int success_threshold = 1, int failure_threshold = 3) {
    ForwardSpec spec = kubectlSpec();
    spec.readiness = ProbeSpec{.kind = ProbeSpec::Kind::kHttpGet,
                               .port = 8080,
                               .path = "/healthz",
                               .initial_delay = milliseconds(0),
                               .period = seconds(10),
                               .timeout = seconds(1),
                               .success_threshold = success_threshold,
                               .failure_threshold = failure_threshold};
    return spec;
  }

  std::unique_ptr<Forward> readyToProbe(const ForwardSpec& spec) {
    auto forward = makeForward(spec);
    forward->activate();
    printForwarding(*launcher_.last(), spec);
    return forward;
  }
};

TEST_F(ForwardReadinessTest, ReadyOnlyAfterTheProbePassesSuccessThresholdTimes) {
  auto forward = readyToProbe(probedSpec(/*success_threshold=*/2));
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  dispatcher_.advance(milliseconds(0));
  ASSERT_EQ(prober_.pending().size(), 1u);
  EXPECT_EQ(prober_.pending()[0]->address, "127.0.0.1");
  EXPECT_EQ(prober_.pending()[0]->spec.path, "/healthz");
  prober_.completeAll(testing::probeSuccess());
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  dispatcher_.advance(seconds(10));
  prober_.completeAll(testing::probeSuccess());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  ASSERT_TRUE(forward->probeStatus().has_value());
  EXPECT_EQ(forward->probeStatus()->consecutive_successes, 2);
  EXPECT_EQ(forward->probeStatus()->result.message, "HTTP 200");
}

TEST_F(ForwardReadinessTest, FailureThresholdMakesItUnhealthyAndRestartsWithBackoff) {
  auto forward = readyToProbe(probedSpec());
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  for (int i = 0; i < 2; ++i) {
    dispatcher_.advance(seconds(10));
    prober_.completeAll(testing::probeFailure("HTTP 503 from /healthz"));
    EXPECT_EQ(forward->state(), ForwardState::kReady) << "failure " << i + 1 << " of 3";
  }
  dispatcher_.advance(seconds(10));
  prober_.completeAll(testing::probeFailure("HTTP 503 from /healthz"));
  EXPECT_EQ(forward->state(), ForwardState::kUnhealthy);
  EXPECT_EQ(launcher_.last()->terminate_calls, 1);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "readiness probe failed: HTTP 503 from /healthz");
  EXPECT_THAT(observer_.states(), ElementsAre(ForwardState::kStarting, ForwardState::kReady,
                                              ForwardState::kUnhealthy, ForwardState::kBackoff));
}

TEST_F(ForwardReadinessTest, ASuccessInBetweenResetsTheFailureCount) {
  auto forward = readyToProbe(probedSpec());
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  for (const bool success : {false, false, true, false, false}) {
    dispatcher_.advance(seconds(10));
    prober_.completeAll(success ? testing::probeSuccess() : testing::probeFailure());
  }
  EXPECT_EQ(forward->state(), ForwardState::kReady);
}

TEST_F(ForwardReadinessTest, ProbeTransitionsAreLoggedOncePerChange) {
  auto forward = readyToProbe(probedSpec(1, 100));
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  for (int i = 0; i < 5; ++i) {
    dispatcher_.advance(seconds(10));
    prober_.completeAll(testing::probeFailure("timeout after 1s"));
  }
  int failed_notes = 0;
  for (const LogLine& line : forward->logs().tail(0)) {
    failed_notes += line.text.find("readiness probe failed") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(failed_notes, 1);
  EXPECT_EQ(forward->probeStatus()->consecutive_failures, 5);
}

TEST_F(ForwardReadinessTest, InitialDelayIsHonoured) {
  ForwardSpec spec = probedSpec();
  spec.readiness->initial_delay = seconds(5);
  auto forward = readyToProbe(spec);
  dispatcher_.advance(milliseconds(4999));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(prober_.pending().size(), 1u);
}

TEST_F(ForwardReadinessTest, FirstProbeIsSpreadOverThePeriodButNotAfterARestart) {
  random_ = 0.5;
  ForwardSpec spec = probedSpec();
  spec.backoff.jitter = 0;
  auto forward = readyToProbe(spec);
  dispatcher_.advance(milliseconds(4999));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(prober_.pending().size(), 1u) << "first probe at half the 10s period";
  prober_.completeAll(testing::probeSuccess());

  forward->restart();
  dispatcher_.runPosted();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(0));
  EXPECT_EQ(prober_.pending().size(), 1u) << "a restarted child is probed at once";
}

TEST_F(ForwardReadinessTest, ProbesAfterAnAtOnceProbeTakeTheirPhaseSoRestartsDoNotLockStep) {
  random_ = 0.3;
  ForwardSpec spec = probedSpec();
  spec.backoff.jitter = 0;
  auto forward = readyToProbe(spec);
  dispatcher_.advance(seconds(3));
  prober_.completeAll(testing::probeSuccess());
  dispatcher_.advance(milliseconds(37));  // restarted off the grid, as by `pfctl restart`
  forward->restart();
  dispatcher_.runPosted();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(0));
  ASSERT_EQ(prober_.pending().size(), 1u) << "at once";
  prober_.completeAll(testing::probeSuccess());

  // The next one 3 s (its phase) later, rounded up to the grid: 3.1 s, not the period's 10.
  dispatcher_.advance(milliseconds(3062));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  ASSERT_EQ(prober_.pending().size(), 1u);
  prober_.completeAll(testing::probeSuccess());
  dispatcher_.advance(seconds(10) - milliseconds(1));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(prober_.pending().size(), 1u) << "then every period on the grid";
}

TEST_F(ForwardReadinessTest, AProbeRightAfterAnAtOnceProbeWaitsAtLeastASlot) {
  random_ = 0.0;
  ForwardSpec spec = probedSpec();
  auto forward = readyToProbe(spec);
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  forward->restart();
  dispatcher_.runPosted();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(0));
  ASSERT_EQ(prober_.pending().size(), 1u);
  prober_.completeAll(testing::probeSuccess());
  dispatcher_.advance(milliseconds(99));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(prober_.pending().size(), 1u);
}

TEST_F(ForwardReadinessTest, SpreadProbesOfForwardsStartedApartShareAGridSlot) {
  random_ = 0.5;
  ForwardSpec web = probedSpec();
  ForwardSpec api = probedSpec();
  api.name = "api";
  api.ports = {{8081, "8000"}};
  dispatcher_.advance(milliseconds(37));
  auto first = readyToProbe(web);
  dispatcher_.advance(milliseconds(44));
  auto second = readyToProbe(api);
  // Half the period after their starts (5037 and 5081 ms), rounded up to the 100 ms grid.
  dispatcher_.advance(milliseconds(5099 - 81));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(prober_.pending().size(), 2u) << "one wake-up for both";
  prober_.completeAll(testing::probeSuccess());

  dispatcher_.advance(seconds(10) - milliseconds(1));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(prober_.pending().size(), 2u) << "and they stay in that slot";
}

TEST_F(ForwardReadinessTest, AFirstProbeWithoutPhaseStillStartsOnTheGrid) {
  dispatcher_.advance(milliseconds(37));
  auto forward = readyToProbe(probedSpec());
  dispatcher_.advance(milliseconds(62));
  EXPECT_TRUE(prober_.pending().empty()) << "99 ms: off the grid";
  dispatcher_.advance(milliseconds(1));
  ASSERT_EQ(prober_.pending().size(), 1u) << "100 ms: the next grid point";
  prober_.completeAll(testing::probeSuccess());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
}

TEST_F(ForwardReadinessTest, ProbeInFlightIsCancelledWhenTheChildDies) {
  auto forward = readyToProbe(probedSpec());
  dispatcher_.advance(milliseconds(0));
  ASSERT_EQ(prober_.pending().size(), 1u);
  auto in_flight = prober_.pending()[0];
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  EXPECT_TRUE(in_flight->cancelled);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
}

TEST_F(ForwardReadinessTest, FailingBeforeEverReadyAlsoRestarts) {
  auto forward = readyToProbe(probedSpec(1, 2));
  for (int i = 0; i < 2; ++i) {
    dispatcher_.advance(i == 0 ? milliseconds(0) : seconds(10));
    prober_.completeAll(testing::probeFailure("connection refused on 127.0.0.1:8080"));
  }
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("connection refused"));
}

TEST_F(ForwardReadinessTest, AProbeFailureAfterResetAfterReadyBacksOffFromInitialAgain) {
  ForwardSpec spec = probedSpec(1, 1);
  spec.backoff.jitter = 0;
  spec.backoff.reset_after = seconds(20);
  auto forward = readyToProbe(spec);
  for (int run = 0; run < 3; ++run) {
    dispatcher_.advance(milliseconds(0));
    prober_.completeAll(testing::probeSuccess());
    ASSERT_EQ(forward->state(), ForwardState::kReady) << "run " << run;
    dispatcher_.advance(seconds(30));
    prober_.completeAll(testing::probeFailure("HTTP 500 from /healthz"));
    ASSERT_EQ(forward->state(), ForwardState::kUnhealthy);
    launcher_.last()->exit(143);
    dispatcher_.runPosted();
    ASSERT_EQ(forward->state(), ForwardState::kBackoff);
    EXPECT_THAT(observer_.transitions.back().reason, HasSubstr("retrying in 500ms"))
        << "run " << run << ": 30 s READY forgives earlier failures, as after any other exit";
    dispatcher_.advance(milliseconds(500));
    printForwarding(*launcher_.last(), spec);
  }
}

// kubectl >= 1.23 ends the whole forward when a connection inside the pod is refused; the
// probe's own connection is what triggers it, and pfd hears of it twice: kubectl's error line and
// the probe's failure. Either can come first; the reason is kubectl's, and no UNHEALTHY is shown.
constexpr const char* kRefusedInsidePod =
    "E1124 19:41:29.123456 1 portforward.go:424] \"Unhandled Error\" err=\"an error occurred "
    "forwarding 8080 -> 8000: error forwarding port 8000 to pod web-1, uid : failed to connect to "
    "localhost:8000 inside namespace: connect: connection refused\"";

TEST_F(ForwardReadinessTest, AppNotListeningWhenKubectlsLineComesBeforeTheProbesFailure) {
  auto forward = readyToProbe(probedSpec(1, 1));
  dispatcher_.advance(milliseconds(0));
  launcher_.last()->printError(kRefusedInsidePod);
  prober_.completeAll(testing::probeFailure("connection closed without a response"));
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("app not listening on port 8000 in pod web-1"));
  EXPECT_THAT(observer_.states(), ElementsAre(ForwardState::kStarting, ForwardState::kBackoff));
}

TEST_F(ForwardReadinessTest, AppNotListeningWhenTheProbesFailureComesFirst) {
  launcher_.setExitOnTerminate(false);
  auto forward = readyToProbe(probedSpec(1, 1));
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeFailure("connection closed without a response"));
  EXPECT_EQ(forward->state(), ForwardState::kUnhealthy);
  launcher_.last()->printError(kRefusedInsidePod);
  launcher_.last()->printError("error: lost connection to pod");  // kubectl < 1.31 adds this
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("app not listening on port 8000 in pod web-1"));
  EXPECT_THAT(observer_.transitions.back().reason, HasSubstr("app not listening"));
}

TEST_F(ForwardReadinessTest, KubectlsFirstAccountOfABreakageIsTheReason) {
  launcher_.setExitOnTerminate(false);
  auto forward = readyToProbe(probedSpec());
  dispatcher_.advance(milliseconds(0));
  launcher_.last()->printError(kRefusedInsidePod);
  launcher_.last()->printError("error: lost connection to pod");
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("app not listening on port 8000 in pod web-1"));
}

TEST_F(ForwardReadinessTest, ProbesRunAtAFixedRateWhateverTheirLatency) {
  auto forward = readyToProbe(probedSpec());
  dispatcher_.advance(milliseconds(0));
  ASSERT_EQ(prober_.pending().size(), 1u);
  dispatcher_.advance(milliseconds(700));  // a slow answer
  prober_.completeAll(testing::probeSuccess());
  dispatcher_.advance(milliseconds(9299));
  EXPECT_TRUE(prober_.pending().empty());
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(prober_.pending().size(), 1u) << "the second probe starts 10s after the first";
}

TEST_F(ForwardReadinessTest, APeriodIsSkippedWhileTheLastProbeIsStillRunning) {
  ForwardSpec spec = probedSpec();
  spec.readiness->period = seconds(1);
  spec.readiness->timeout = seconds(5);
  auto forward = readyToProbe(spec);
  dispatcher_.advance(milliseconds(0));
  dispatcher_.advance(seconds(3));
  EXPECT_EQ(prober_.pending().size(), 1u) << "never two probes of one forward at once";
  prober_.completeAll(testing::probeSuccess());
  dispatcher_.advance(seconds(1));
  EXPECT_EQ(prober_.pending().size(), 1u);
}

}  // namespace
}  // namespace pfd::core
