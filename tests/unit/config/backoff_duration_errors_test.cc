// Errors about durations and the restart backoff.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using testing::invalidAt;
using testing::invalidWith;
using testing::parse;

// `defaults: {backoff: {...}}` on line 1; the mapping's first value is at column 22.
std::string withBackoff(const std::string& fields) {
  return "defaults: {backoff: {" + fields + "}}\nforwards: []\n";
}

TEST(DurationErrorsTest, BareNumberNeedsAUnit) {
  EXPECT_THAT(parse("defaults: {startTimeout: 30}\nforwards: []\n"),
              invalidAt(1, 26,
                        "defaults.startTimeout: \"30\" has no unit; write a duration such "
                        "as 500ms, 30s, 2m or 1m30s"));
  EXPECT_THAT(parse("defaults: {requestTimeout: \"0\"}\nforwards: []\n"),
              invalidAt(1, 28, "\"0\" has no unit"));
}

TEST(DurationErrorsTest, GarbageAndNegativeDurationsAreRefused) {
  EXPECT_THAT(parse("defaults: {startTimeout: 30 s}\nforwards: []\n"),
              invalidAt(1, 26, "\"30 s\" is not a duration"));
  EXPECT_THAT(parse("defaults: {startTimeout: -5s}\nforwards: []\n"),
              invalidAt(1, 26, "\"-5s\" is negative"));
  EXPECT_THAT(parse("defaults: {startTimeout: inf}\nforwards: []\n"),
              invalidAt(1, 26, "\"inf\" is not a duration"));
  EXPECT_THAT(parse("defaults: {startTimeout: 9000h}\nforwards: []\n"),
              invalidAt(1, 26, "\"9000h\" is longer than a year"));
  EXPECT_THAT(parse("defaults: {startTimeout: [30s]}\nforwards: []\n"),
              invalidAt(1, 26, "defaults.startTimeout: is a list; write a duration"));
}

TEST(DurationErrorsTest, ZeroIsRefusedWhereItMakesNoSense) {
  EXPECT_THAT(parse("defaults: {startTimeout: 0s}\nforwards: []\n"),
              invalidAt(1, 26, "defaults.startTimeout: \"0s\" is not positive"));
  EXPECT_THAT(parse(withBackoff("initial: 0ms")),
              invalidAt(1, 31, "defaults.backoff.initial: \"0ms\" is not positive"));
  EXPECT_THAT(parse(withBackoff("resetAfter: 0s")),
              invalidAt(1, 34, "defaults.backoff.resetAfter: \"0s\" is not positive"));
  // kubectl reads --request-timeout=0 as "no timeout".
  EXPECT_OK(parse("defaults: {requestTimeout: 0s}\nforwards: []\n"));
}

TEST(BackoffErrorsTest, MaxBelowInitialIsRefused) {
  EXPECT_THAT(parse(withBackoff("initial: 10s, max: 1s")),
              invalidAt(1, 41,
                        "defaults.backoff.max: max (1s) is less than initial (10s); make "
                        "max at least initial"));
}

TEST(BackoffErrorsTest, InheritedMaxBelowAForwardsInitialPointsAtInitial) {
  EXPECT_THAT(parse("defaults: {backoff: {max: 5s}}\nforwards:\n"
                    "  - {name: a, target: a, ports: [\"80\"], backoff: {initial: 1m}}\n"),
              invalidAt(3, 60, "forwards[0].backoff.initial: max (5s) is less than initial (1m)"));
}

TEST(BackoffErrorsTest, MultiplierBelowOneIsRefused) {
  EXPECT_THAT(parse(withBackoff("multiplier: 0.5")),
              invalidAt(1, 34, "defaults.backoff.multiplier: 0.5 would shrink the delay"));
  EXPECT_THAT(parse(withBackoff("multiplier: \"2\"")),
              invalidAt(1, 34, "\"2\" is a quoted string; write a number without quotes"));
  EXPECT_THAT(parse(withBackoff("multiplier: fast")), invalidAt(1, 34, "\"fast\" is not a number"));
  EXPECT_OK(parse(withBackoff("multiplier: 1")));
}

TEST(BackoffErrorsTest, JitterMustBeAFractionBelowOne) {
  EXPECT_THAT(parse(withBackoff("jitter: 1")),
              invalidAt(1, 30, "defaults.backoff.jitter: 1 is out of range; write a fraction"));
  EXPECT_THAT(parse(withBackoff("jitter: -0.1")), invalidWith("-0.1 is out of range"));
  EXPECT_OK(parse(withBackoff("jitter: 0")));
  EXPECT_OK(parse(withBackoff("jitter: 0.99")));
}

TEST(BackoffErrorsTest, BackoffMustBeAMapping) {
  EXPECT_THAT(parse("defaults: {backoff: 5s}\nforwards: []\n"),
              invalidAt(1, 21, "defaults.backoff: is \"5s\"; write a backoff mapping"));
}

}  // namespace
}  // namespace pfd::config
