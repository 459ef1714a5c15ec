// `notify` and `notifyAfter`: defaults, how a forward's own value wins over `defaults:`, that
// command forwards take them too, that they live beside the specs (so changing them restarts
// nothing), and their located errors.
#include <string>

#include "absl/status/statusor.h"
#include "daemon/config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using core::Milliseconds;
using core::NotifySpec;
using ::testing::ElementsAre;
using testing::invalidAt;
using ::testing::IsEmpty;
using ::testing::Key;
using testing::parse;

constexpr char kDefaultsAndOverrides[] = R"(
defaults:
  notify: true
  notifyAfter: 1m
forwards:
  - name: inherits
    target: a
    ports: ["8001"]
  - name: own-delay
    target: b
    ports: ["8002"]
    notifyAfter: 5s
  - name: quiet
    target: c
    ports: ["8003"]
    notify: false
  - name: tunnel
    command: [ssh, -N, -L, "5432:db:5432", bastion]
    ports: ["5432"]
)";

TEST(NotifyConfigTest, OffByDefaultWithThirtySeconds) {
  absl::StatusOr<Config> config = parse("forwards:\n  - {name: w, target: w, ports: [\"80\"]}\n");
  ASSERT_OK(config);
  EXPECT_THAT(config->notify, IsEmpty());
  EXPECT_EQ(NotifySpec{}.after, Milliseconds(30'000));
}

TEST(NotifyConfigTest, AForwardsOwnValuesWinOverDefaultsAndCommandForwardsTakeThemToo) {
  absl::StatusOr<Config> config = parse(kDefaultsAndOverrides);
  ASSERT_OK(config);
  EXPECT_THAT(config->notify, ElementsAre(Key("inherits"), Key("own-delay"), Key("tunnel")));
  EXPECT_EQ(config->notify.at("inherits"), (NotifySpec{true, Milliseconds(60'000)}));
  EXPECT_EQ(config->notify.at("own-delay"), (NotifySpec{true, Milliseconds(5'000)}));
  EXPECT_EQ(config->notify.at("tunnel"), (NotifySpec{true, Milliseconds(60'000)}));
}

TEST(NotifyConfigTest, ChangingThemLeavesEverySpecEqualSoAReloadRestartsNothing) {
  absl::StatusOr<Config> before = parse(kDefaultsAndOverrides);
  std::string edited = kDefaultsAndOverrides;
  edited.replace(edited.find("notifyAfter: 1m"), 15, "notifyAfter: 2m");
  edited.replace(edited.find("notify: false"), 13, "notify: true");
  absl::StatusOr<Config> after = parse(edited);
  ASSERT_OK(before);
  ASSERT_OK(after);
  EXPECT_EQ(before->forwards, after->forwards);
  EXPECT_NE(before->notify, after->notify);
  EXPECT_EQ(after->notify.at("quiet"), (NotifySpec{true, Milliseconds(120'000)}));
}

TEST(NotifyConfigTest, NotifyIsAnUnquotedBool) {
  EXPECT_THAT(
      parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n    notify: yes\n"),
      invalidAt(5, 13, "forwards[0].notify: \"yes\" is not a boolean; write true or false"));
  EXPECT_THAT(parse("defaults: {notify: \"true\"}\nforwards: []\n"),
              invalidAt(1, 20, "defaults.notify: \"true\" is a quoted string"));
}

TEST(NotifyConfigTest, NotifyAfterIsAPositiveDuration) {
  EXPECT_THAT(
      parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n    notifyAfter: 0s\n"),
      invalidAt(5, 18,
                "forwards[0].notifyAfter: \"0s\" is not positive; write a duration of at least "
                "1ms, such as 500ms or 30s"));
  EXPECT_THAT(parse("defaults: {notifyAfter: 30}\nforwards: []\n"),
              invalidAt(1, 25,
                        "defaults.notifyAfter: \"30\" has no unit; write a duration such as 500ms, "
                        "30s, 2m or 1m30s"));
  EXPECT_THAT(
      parse("forwards:\n  - name: b\n    command: [ssh]\n    ports: [\"5432\"]\n    notifyAfter: "
            "-1s\n"),
      invalidAt(5, 18, "forwards[0].notifyAfter: \"-1s\" is negative"));
}

TEST(NotifyConfigTest, MisspeltKeysSuggestTheRightOnes) {
  EXPECT_THAT(parse("defaults: {notifAfter: 1m}\nforwards: []\n"),
              invalidAt(1, 12, "defaults.notifAfter: unknown key; did you mean \"notifyAfter\"?"));
  EXPECT_THAT(
      parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n    notfy: true\n"),
      invalidAt(5, 5, "forwards[0].notfy: unknown key; did you mean \"notify\"?"));
}

}  // namespace
}  // namespace pfd::config
