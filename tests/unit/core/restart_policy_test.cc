#include "daemon/core/restart_policy.h"

#include "gtest/gtest.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;

BackoffSpec defaultBackoff() { return BackoffSpec{}; }

TEST(RestartPolicyTest, GrowsByTheMultiplierFromInitial) {
  BackoffSpec backoff = defaultBackoff();
  EXPECT_EQ(restartDelay(backoff, 0, 0.0), milliseconds(500));
  EXPECT_EQ(restartDelay(backoff, 1, 0.0), milliseconds(1000));
  EXPECT_EQ(restartDelay(backoff, 2, 0.0), milliseconds(2000));
  EXPECT_EQ(restartDelay(backoff, 5, 0.0), milliseconds(16000));
}

TEST(RestartPolicyTest, IsCappedAtMax) {
  BackoffSpec backoff = defaultBackoff();
  EXPECT_EQ(restartDelay(backoff, 6, 0.0), milliseconds(30000));
  EXPECT_EQ(restartDelay(backoff, 60, 0.0), milliseconds(30000));
  // Far past any double's range the delay is still the cap, not garbage.
  EXPECT_EQ(restartDelay(backoff, 100000, 0.0), milliseconds(30000));
}

TEST(RestartPolicyTest, JitterOnlyShortensTheDelayBySomeOfItsFraction) {
  BackoffSpec backoff = defaultBackoff();  // jitter 0.2
  EXPECT_EQ(restartDelay(backoff, 1, 0.5), milliseconds(900));
  EXPECT_EQ(restartDelay(backoff, 1, 0.999), milliseconds(800));
  for (double unit : {0.0, 0.25, 0.5, 0.75, 0.9999}) {
    milliseconds delay = restartDelay(backoff, 20, unit);
    EXPECT_LE(delay, backoff.max);
    EXPECT_GE(delay, milliseconds(24000));
  }
}

TEST(RestartPolicyTest, ZeroJitterIsDeterministic) {
  BackoffSpec backoff = defaultBackoff();
  backoff.jitter = 0;
  EXPECT_EQ(restartDelay(backoff, 3, 0.7), milliseconds(4000));
}

TEST(RestartPolicyTest, CustomMultiplierAndInitial) {
  BackoffSpec backoff{.initial = milliseconds(50), .max = milliseconds(15000), .multiplier = 3};
  EXPECT_EQ(restartDelay(backoff, 0, 0.0), milliseconds(50));
  EXPECT_EQ(restartDelay(backoff, 2, 0.0), milliseconds(450));
}

TEST(RestartBudgetTest, RunsThatNeverGotReadyBackOffFurtherEachTime) {
  BackoffSpec backoff = defaultBackoff();  // 500ms, x2, resetAfter 60s
  RestartBudget budget;
  EXPECT_EQ(budget.afterRun(backoff, std::nullopt, true, 0.0), milliseconds(500));
  EXPECT_EQ(budget.afterRun(backoff, std::nullopt, true, 0.0), milliseconds(1000));
  EXPECT_EQ(budget.afterFailedStart(backoff, 0.0), milliseconds(2000));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(999), true, 0.0), milliseconds(4000))
      << "READY for less than a second earns nothing";
}

TEST(RestartBudgetTest, OnlyTheFirstBreakOfAHealthyForwardIsRetriedAtOnce) {
  BackoffSpec backoff = defaultBackoff();
  RestartBudget budget;
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(1500), true, 0.0), milliseconds(0));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(1500), true, 0.0), milliseconds(500));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(1500), true, 0.0), milliseconds(1000));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(1500), true, 0.0), milliseconds(2000));
}

TEST(RestartBudgetTest, ARunReadyForResetAfterForgivesFailuresAndTheImmediateRetry) {
  BackoffSpec backoff = defaultBackoff();
  RestartBudget budget;
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(1500), true, 0.0), milliseconds(0));
  EXPECT_EQ(budget.afterRun(backoff, std::nullopt, true, 0.0), milliseconds(500));
  EXPECT_EQ(budget.afterRun(backoff, std::nullopt, true, 0.0), milliseconds(1000));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(60000), true, 0.0), milliseconds(0));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(59999), true, 0.0), milliseconds(500));
}

TEST(RestartBudgetTest, AFailedProbeIsNeverRetriedAtOnceButResetAfterStillForgives) {
  BackoffSpec backoff = defaultBackoff();
  RestartBudget budget;
  EXPECT_EQ(budget.afterRun(backoff, std::nullopt, true, 0.0), milliseconds(500));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(1500), false, 0.0), milliseconds(1000));
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(60000), false, 0.0), milliseconds(500));
}

TEST(RestartBudgetTest, ResetGivesAFreshHistory) {
  BackoffSpec backoff = defaultBackoff();
  RestartBudget budget;
  budget.afterRun(backoff, milliseconds(1500), true, 0.0);
  budget.afterFailedStart(backoff, 0.0);
  budget.reset();
  EXPECT_EQ(budget.afterRun(backoff, milliseconds(1500), true, 0.0), milliseconds(0));
  EXPECT_EQ(budget.afterFailedStart(backoff, 0.0), milliseconds(500));
}

}  // namespace
}  // namespace pfd::core
