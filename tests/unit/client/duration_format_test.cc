#include "client/render/duration_format.h"

#include "gtest/gtest.h"

namespace pfd::client {
namespace {

TEST(HumanDurationTest, ShowsExactSecondsBelowTwoMinutes) {
  EXPECT_EQ(humanDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(humanDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(humanDuration(absl::Seconds(119) + absl::Milliseconds(999)), "119s");
}

TEST(HumanDurationTest, ShowsMinutesAndSecondsBelowTenMinutes) {
  EXPECT_EQ(humanDuration(absl::Minutes(3) + absl::Seconds(12)), "3m12s");
  EXPECT_EQ(humanDuration(absl::Minutes(5)), "5m");
}

TEST(HumanDurationTest, ShowsWholeMinutesBelowThreeHours) {
  EXPECT_EQ(humanDuration(absl::Minutes(15) + absl::Seconds(59)), "15m");
  EXPECT_EQ(humanDuration(absl::Minutes(179)), "179m");
}

TEST(HumanDurationTest, ShowsHoursWithMinutesBelowEightHours) {
  EXPECT_EQ(humanDuration(absl::Hours(5)), "5h");
  EXPECT_EQ(humanDuration(absl::Hours(5) + absl::Minutes(30)), "5h30m");
}

TEST(HumanDurationTest, ShowsWholeHoursBelowTwoDays) {
  EXPECT_EQ(humanDuration(absl::Hours(47)), "47h");
}

TEST(HumanDurationTest, ShowsDaysThenYears) {
  EXPECT_EQ(humanDuration(absl::Hours(48)), "2d");
  EXPECT_EQ(humanDuration(absl::Hours(3 * 24 + 4)), "3d4h");
  EXPECT_EQ(humanDuration(absl::Hours(24 * 30)), "30d");
  EXPECT_EQ(humanDuration(absl::Hours(24 * 365 * 2 + 24 * 10)), "2y10d");
  EXPECT_EQ(humanDuration(absl::Hours(24 * 365 * 9)), "9y");
}

TEST(HumanDurationTest, ToleratesOneSecondOfClockSkewAndFlagsMore) {
  EXPECT_EQ(humanDuration(absl::Milliseconds(-900)), "0s");
  EXPECT_EQ(humanDuration(absl::Seconds(-1)), "0s");
  EXPECT_EQ(humanDuration(absl::Seconds(-5)), "<invalid>");
}

TEST(FormatLatencyTest, PicksAUnitThatKeepsTheNumberShort) {
  EXPECT_EQ(formatLatency(absl::Microseconds(850)), "850us");
  EXPECT_EQ(formatLatency(absl::Milliseconds(3)), "3ms");
  EXPECT_EQ(formatLatency(absl::Milliseconds(999)), "999ms");
  EXPECT_EQ(formatLatency(absl::Milliseconds(1200)), "1.2s");
  EXPECT_EQ(formatLatency(absl::Seconds(12)), "12s");
}

}  // namespace
}  // namespace pfd::client
