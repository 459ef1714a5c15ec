#include "daemon/core/status_summary.h"

#include "gtest/gtest.h"

namespace pfd::core {
namespace {

TEST(StatusSummaryTest, AllReadyOrIdleIsHealthy) {
  StatusSummary summary = summarizeForwards({{"web", ForwardState::kReady},
                                             {"db", ForwardState::kIdle},
                                             {"old", ForwardState::kStopped}});
  EXPECT_EQ(summary.line, "pfd: 2/2 ready");
  EXPECT_TRUE(summary.healthy);
}

TEST(StatusSummaryTest, NamesWhatIsDownOrStarting) {
  StatusSummary summary = summarizeForwards({{"api", ForwardState::kReady},
                                             {"web", ForwardState::kBackoff},
                                             {"db", ForwardState::kStarting}});
  EXPECT_EQ(summary.line, "pfd: 1/3 ready, web down, db starting");
  EXPECT_FALSE(summary.healthy);
}

TEST(StatusSummaryTest, FailedAndUnhealthyAreDown) {
  StatusSummary summary =
      summarizeForwards({{"a", ForwardState::kFailed}, {"b", ForwardState::kUnhealthy}});
  EXPECT_EQ(summary.line, "pfd: 0/2 ready, a down, b down");
  EXPECT_FALSE(summary.healthy);
}

TEST(StatusSummaryTest, NamesAtMostThreeThenCounts) {
  std::vector<ForwardStatusEntry> forwards;
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    forwards.push_back({name, ForwardState::kBackoff});
  }
  forwards.push_back({"f", ForwardState::kReady});
  EXPECT_EQ(summarizeForwards(forwards).line, "pfd: 1/6 ready, a down, b down, c down, +2 more");
}

TEST(StatusSummaryTest, NothingToRunIsHealthy) {
  StatusSummary summary = summarizeForwards({{"off", ForwardState::kStopped}});
  EXPECT_EQ(summary.line, "pfd: no forwards running");
  EXPECT_TRUE(summary.healthy);
  EXPECT_EQ(summarizeForwards({}).line, "pfd: no forwards running");
}

}  // namespace
}  // namespace pfd::core
