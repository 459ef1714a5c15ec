// The settings of held ports, drains, replay and lazy start: their defaults, how a forward's own
// value wins over `defaults:`, and how command forwards are left out of them.
#include <string>

#include "absl/status/statusor.h"
#include "daemon/config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using core::ForwardSpec;
using core::Milliseconds;
using testing::parse;
using Start = ForwardSpec::Start;

// A kubectl forward with `field` ("replayBuffer: 1Mi") as its last line.
std::string kubectlForwardWith(const std::string& field) {
  return "forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n    " + field + "\n";
}

// The replay buffer a kubectl forward gets from `replayBuffer: VALUE`.
size_t replayBufferOf(const std::string& value) {
  absl::StatusOr<Config> config = parse(kubectlForwardWith("replayBuffer: " + value));
  EXPECT_OK(config) << value;
  return config.ok() ? config->forwards[0].replay_buffer : 0;
}

TEST(HeldPortsConfigTest, LeftOutTheyTakeTheirDefaults) {
  absl::StatusOr<Config> config = parse("forwards:\n  - {name: w, target: w, ports: [\"80\"]}\n");
  ASSERT_OK(config);
  const ForwardSpec& forward = config->forwards[0];
  EXPECT_TRUE(forward.hold_port);
  EXPECT_TRUE(forward.holdsPorts());
  EXPECT_EQ(forward.hold_timeout, Milliseconds(10'000));
  EXPECT_EQ(forward.drain_timeout, Milliseconds(30'000));
  EXPECT_EQ(forward.replay_buffer, 64u * 1024);
  EXPECT_EQ(forward.start, Start::kAlways);
  EXPECT_EQ(forward.idle_timeout, Milliseconds(15 * 60'000));
}

constexpr char kDefaultsAndOverrides[] = R"(
defaults:
  holdPort: false
  holdTimeout: 2s
  drainTimeout: 1m
  replayBuffer: 1Mi
  start: always
  idleTimeout: 5m
forwards:
  - name: inherits
    target: a
    ports: ["8001"]
  - name: own
    target: b
    ports: ["8002"]
    holdPort: true
    holdTimeout: 0s
    drainTimeout: 0s
    replayBuffer: 0
    start: onDemand
    idleTimeout: 0s
  - name: one-field
    target: c
    ports: ["8003"]
    replayBuffer: 128Ki
)";

TEST(HeldPortsConfigTest, ForwardsInheritTheDefaults) {
  absl::StatusOr<Config> config = parse(kDefaultsAndOverrides);
  ASSERT_OK(config);
  const ForwardSpec& forward = config->forwards[0];
  EXPECT_FALSE(forward.hold_port);
  EXPECT_FALSE(forward.holdsPorts());
  EXPECT_EQ(forward.hold_timeout, Milliseconds(2000));
  EXPECT_EQ(forward.drain_timeout, Milliseconds(60'000));
  EXPECT_EQ(forward.replay_buffer, 1024u * 1024);
  EXPECT_EQ(forward.start, Start::kAlways);
  EXPECT_EQ(forward.idle_timeout, Milliseconds(5 * 60'000));
}

TEST(HeldPortsConfigTest, AForwardsOwnValuesWinAndZeroIsAccepted) {
  absl::StatusOr<Config> config = parse(kDefaultsAndOverrides);
  ASSERT_OK(config);
  const ForwardSpec& forward = config->forwards[1];
  EXPECT_TRUE(forward.hold_port);
  EXPECT_EQ(forward.hold_timeout, Milliseconds(0));
  EXPECT_EQ(forward.drain_timeout, Milliseconds(0));
  EXPECT_EQ(forward.replay_buffer, 0u);
  EXPECT_EQ(forward.start, Start::kOnDemand);
  EXPECT_EQ(forward.idle_timeout, Milliseconds(0));
}

TEST(HeldPortsConfigTest, AForwardOverridesOnlyTheFieldsItNames) {
  absl::StatusOr<Config> config = parse(kDefaultsAndOverrides);
  ASSERT_OK(config);
  const ForwardSpec& forward = config->forwards[2];
  EXPECT_EQ(forward.replay_buffer, 128u * 1024);
  EXPECT_FALSE(forward.hold_port);
  EXPECT_EQ(forward.hold_timeout, Milliseconds(2000));
  EXPECT_EQ(forward.drain_timeout, Milliseconds(60'000));
  EXPECT_EQ(forward.idle_timeout, Milliseconds(5 * 60'000));
}

TEST(HeldPortsConfigTest, OnDemandInDefaultsAppliesToKubectlForwards) {
  absl::StatusOr<Config> config = parse(
      "defaults: {start: onDemand}\nforwards:\n  - {name: w, target: w, ports: [\"80\"]}\n"
      "  - {name: x, target: x, ports: [\"81\"], start: always}\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->forwards[0].start, Start::kOnDemand);
  EXPECT_EQ(config->forwards[1].start, Start::kAlways);
}

TEST(HeldPortsConfigTest, ReplayBufferTakesBytesAndBinarySuffixes) {
  EXPECT_EQ(replayBufferOf("65536"), 65536u);
  EXPECT_EQ(replayBufferOf("1000"), 1000u);
  EXPECT_EQ(replayBufferOf("0"), 0u);
  EXPECT_EQ(replayBufferOf("0Ki"), 0u);
  EXPECT_EQ(replayBufferOf("64Ki"), 65536u);
  EXPECT_EQ(replayBufferOf("\"64Ki\""), 65536u);
  EXPECT_EQ(replayBufferOf("1Mi"), 1u << 20);
  EXPECT_EQ(replayBufferOf("16Mi"), 16u << 20);
  EXPECT_EQ(replayBufferOf("16384Ki"), 16u << 20);
  EXPECT_EQ(replayBufferOf("16777216"), 16u << 20);
}

TEST(HeldPortsConfigTest, StartMayBeQuoted) {
  absl::StatusOr<Config> config = parse(kubectlForwardWith("start: \"onDemand\""));
  ASSERT_OK(config);
  EXPECT_EQ(config->forwards[0].start, Start::kOnDemand);
}

TEST(HeldPortsConfigTest, CommandForwardsTakeNoneOfTheDefaults) {
  absl::StatusOr<Config> config = parse(R"(
defaults:
  holdPort: true
  holdTimeout: 1s
  drainTimeout: 1s
  replayBuffer: 1Ki
  start: onDemand
  idleTimeout: 1s
forwards:
  - name: bastion
    command: [ssh, -N, bastion]
    ports: ["5432"]
)");
  ASSERT_OK(config);
  const ForwardSpec& bastion = config->forwards[0];
  EXPECT_FALSE(bastion.holdsPorts());
  // Kept at ForwardSpec's defaults, so that editing them cannot restart a command forward.
  ForwardSpec plain;
  EXPECT_EQ(bastion.hold_port, plain.hold_port);
  EXPECT_EQ(bastion.hold_timeout, plain.hold_timeout);
  EXPECT_EQ(bastion.drain_timeout, plain.drain_timeout);
  EXPECT_EQ(bastion.replay_buffer, plain.replay_buffer);
  EXPECT_EQ(bastion.start, Start::kAlways);
  EXPECT_EQ(bastion.idle_timeout, plain.idle_timeout);
}

TEST(HeldPortsConfigTest, CommandForwardsMaySayWhatTheyDo) {
  absl::StatusOr<Config> config = parse(R"(
defaults: {holdPort: false}
forwards:
  - name: bastion
    command: [ssh, -N, bastion]
    ports: ["5432"]
    holdPort: false
    start: always
)");
  ASSERT_OK(config);
  EXPECT_FALSE(config->forwards[0].holdsPorts());
  EXPECT_EQ(config->forwards[0].start, Start::kAlways);
  EXPECT_EQ(
      config->forwards[0],
      ForwardSpec({.name = "bastion", .command = {"ssh", "-N", "bastion"}, .ports = {{5432, ""}}}));
}

}  // namespace
}  // namespace pfd::config
