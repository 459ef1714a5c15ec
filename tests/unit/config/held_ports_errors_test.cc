// Errors about the settings of held ports, drains, replay and lazy start, each with its exact
// located message.
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using testing::parse;

// The whole message: "forwards.yaml:LINE:COLUMN: " then `rest`.
auto errorIs(int line, int column, const std::string& rest) {
  return ::pfd::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                  std::string(testing::kFile) + ":" + std::to_string(line) + ":" +
                                      std::to_string(column) + ": " + rest);
}

// `key: value` as the last line (5) of a kubectl forward; the value is at column key.size() + 7.
std::string kubectlForwardWith(const std::string& key, const std::string& value) {
  return "forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n    " + key + ": " + value +
         "\n";
}
int forwardValueColumn(const std::string& key) { return static_cast<int>(key.size()) + 7; }

// `key: value` as the last line (5) of a command forward.
std::string commandForwardWith(const std::string& key, const std::string& value) {
  return "forwards:\n  - name: b\n    command: [ssh]\n    ports: [\"5432\"]\n    " + key + ": " +
         value + "\n";
}

// `{key: value}` as the defaults mapping (line 1); the value is at column key.size() + 14.
std::string defaultsWith(const std::string& key, const std::string& value) {
  return "defaults: {" + key + ": " + value + "}\nforwards: []\n";
}
int defaultsValueColumn(const std::string& key) { return static_cast<int>(key.size()) + 14; }

TEST(HeldPortsErrorsTest, HoldPortMustBeAnUnquotedBool) {
  EXPECT_THAT(
      parse(kubectlForwardWith("holdPort", "yes")),
      errorIs(5, 15, "forwards[0].holdPort: \"yes\" is not a boolean; write true or false"));
  EXPECT_THAT(parse(kubectlForwardWith("holdPort", "\"true\"")),
              errorIs(5, 15,
                      "forwards[0].holdPort: \"true\" is a quoted string; write true or false "
                      "without quotes"));
  EXPECT_THAT(parse(defaultsWith("holdPort", "1")),
              errorIs(1, 22, "defaults.holdPort: \"1\" is not a boolean; write true or false"));
}

TEST(HeldPortsErrorsTest, TimeoutsAreDurations) {
  for (const std::string key : {"holdTimeout", "drainTimeout", "idleTimeout"}) {
    SCOPED_TRACE(key);
    EXPECT_THAT(parse(kubectlForwardWith(key, "10")),
                errorIs(5, forwardValueColumn(key),
                        "forwards[0]." + key +
                            ": \"10\" has no unit; write a duration such as 500ms, 30s, 2m or "
                            "1m30s"));
    EXPECT_THAT(parse(defaultsWith(key, "-1s")),
                errorIs(1, defaultsValueColumn(key),
                        "defaults." + key +
                            ": \"-1s\" is negative; write a duration such as 500ms, 30s, 2m or "
                            "1m30s"));
    EXPECT_THAT(parse(kubectlForwardWith(key, "[1s]")),
                errorIs(5, forwardValueColumn(key),
                        "forwards[0]." + key +
                            ": is a list; write a duration such as 500ms, 30s, 2m or 1m30s"));
    EXPECT_THAT(parse(kubectlForwardWith(key, "soon")),
                errorIs(5, forwardValueColumn(key),
                        "forwards[0]." + key +
                            ": \"soon\" is not a duration; write a duration such as 500ms, 30s, "
                            "2m or 1m30s"));
  }
}

TEST(HeldPortsErrorsTest, ReplayBufferRefusesOtherFormsAndListsTheAcceptedOnes) {
  for (const char* value : {"64KB", "64K", "64k", "1.5Mi", "-1", "1Gi", "Ki", "64 Ki", "0x10"}) {
    SCOPED_TRACE(value);
    EXPECT_THAT(parse(kubectlForwardWith("replayBuffer", value)),
                errorIs(5, 19,
                        "forwards[0].replayBuffer: \"" + std::string(value) +
                            "\" is not a byte size; write a whole number of bytes (e.g. 65536) "
                            "or a size with a binary suffix, Ki or Mi (e.g. 64Ki, 1Mi)"));
  }
}

TEST(HeldPortsErrorsTest, ReplayBufferIsAtMost16Mi) {
  for (const char* value :
       {"17Mi", "16385Ki", "16777217", "99999999999999999999999", "18446744073709551615Mi"}) {
    SCOPED_TRACE(value);
    EXPECT_THAT(parse(defaultsWith("replayBuffer", value)),
                errorIs(1, 26,
                        "defaults.replayBuffer: \"" + std::string(value) +
                            "\" is too large; write at most 16Mi (16777216 bytes)"));
  }
}

TEST(HeldPortsErrorsTest, ReplayBufferBytesMustBeUnquotedAndAScalar) {
  EXPECT_THAT(parse(kubectlForwardWith("replayBuffer", "\"65536\"")),
              errorIs(5, 19,
                      "forwards[0].replayBuffer: \"65536\" is a quoted string; write a number of "
                      "bytes without quotes, or a size such as 64Ki or 1Mi"));
  EXPECT_THAT(parse(kubectlForwardWith("replayBuffer", "[64Ki]")),
              errorIs(5, 19,
                      "forwards[0].replayBuffer: is a list; write a byte size such as 65536, 64Ki "
                      "or 1Mi"));
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n"
                    "    replayBuffer:\n"),
              errorIs(5, 5,
                      "forwards[0].replayBuffer: is empty (null); write a byte size such as "
                      "65536, 64Ki or 1Mi"));
}

TEST(HeldPortsErrorsTest, UnknownStartListsTheModesAndSuggestsANearOne) {
  EXPECT_THAT(parse(kubectlForwardWith("start", "ondemand")),
              errorIs(5, 12,
                      "forwards[0].start: \"ondemand\" is not a start mode; did you mean "
                      "\"onDemand\"? write always or onDemand"));
  EXPECT_THAT(parse(defaultsWith("start", "on-demand")),
              errorIs(1, 19,
                      "defaults.start: \"on-demand\" is not a start mode; did you mean "
                      "\"onDemand\"? write always or onDemand"));
  EXPECT_THAT(parse(kubectlForwardWith("start", "alwyas")),
              errorIs(5, 12,
                      "forwards[0].start: \"alwyas\" is not a start mode; did you mean "
                      "\"always\"? write always or onDemand"));
  EXPECT_THAT(
      parse(kubectlForwardWith("start", "lazy")),
      errorIs(5, 12, "forwards[0].start: \"lazy\" is not a start mode; write always or onDemand"));
  EXPECT_THAT(parse(kubectlForwardWith("start", "{mode: lazy}")),
              errorIs(5, 12, "forwards[0].start: is a mapping; write always or onDemand"));
}

TEST(HeldPortsErrorsTest, OnDemandNeedsHeldPorts) {
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n"
                    "    holdPort: false\n    start: onDemand\n"),
              errorIs(6, 12,
                      "forwards[0].start: onDemand needs ports that pfd holds, but holdPort is "
                      "false; set holdPort: true, or write start: always"));
  EXPECT_THAT(parse("defaults: {start: onDemand, holdPort: false}\nforwards: []\n"),
              errorIs(1, 19,
                      "defaults.start: onDemand needs ports that pfd holds, but holdPort is "
                      "false; set holdPort: true, or write start: always"));
}

TEST(HeldPortsErrorsTest, OnDemandAgainstAnInheritedHoldPortPointsAtTheForwardsOwnKey) {
  EXPECT_THAT(parse("defaults: {holdPort: false}\nforwards:\n"
                    "  - {name: w, target: w, ports: [\"80\"], start: onDemand}\n"),
              errorIs(3, 48,
                      "forwards[0].start: onDemand needs ports that pfd holds, but holdPort is "
                      "false (from defaults); set holdPort: true, or write start: always"));
  EXPECT_THAT(parse("defaults: {start: onDemand}\nforwards:\n"
                    "  - {name: w, target: w, ports: [\"80\"], holdPort: false}\n"),
              errorIs(3, 51,
                      "forwards[0].holdPort: is false, but start is onDemand (from defaults), "
                      "which needs ports that pfd holds; remove holdPort: false, or write start: "
                      "always"));
  // A forward that turns both off is fine.
  EXPECT_OK(
      parse("defaults: {start: onDemand}\nforwards:\n"
            "  - {name: w, target: w, ports: [\"80\"], holdPort: false, start: always}\n"));
}

TEST(HeldPortsErrorsTest, ACommandForwardCannotHoldItsPorts) {
  EXPECT_THAT(parse(commandForwardWith("holdPort", "true")),
              errorIs(5, 15,
                      "forwards[0].holdPort: is true, but a command forward always binds its own "
                      "ports, so pfd cannot hold them; remove it"));
  EXPECT_THAT(parse(commandForwardWith("start", "onDemand")),
              errorIs(5, 12,
                      "forwards[0].start: onDemand needs ports that pfd holds, but a command "
                      "forward binds its own ports; remove it, or write start: always"));
  EXPECT_THAT(parse(commandForwardWith("start", "sometimes")),
              errorIs(5, 12,
                      "forwards[0].start: \"sometimes\" is not a start mode; write always or "
                      "onDemand"));
  EXPECT_THAT(parse(commandForwardWith("holdPort", "no")),
              errorIs(5, 15, "forwards[0].holdPort: \"no\" is not a boolean; write true or false"));
}

TEST(HeldPortsErrorsTest, HeldPortSettingsOnACommandForwardAreRefused) {
  for (const std::string key : {"holdTimeout", "drainTimeout", "replayBuffer", "idleTimeout"}) {
    SCOPED_TRACE(key);
    EXPECT_THAT(parse(commandForwardWith(key, "0")),
                errorIs(5, forwardValueColumn(key),
                        "forwards[0]." + key +
                            ": only applies to ports that pfd holds, but this forward runs a "
                            "command, which binds its own ports; remove it"));
  }
}

TEST(HeldPortsErrorsTest, MisspeltKeysSuggestTheNewOnes) {
  EXPECT_THAT(parse(kubectlForwardWith("holdport", "true")),
              testing::invalidAt(5, 5,
                                 "forwards[0].holdport: unknown key; did you mean \"holdPort\"? a "
                                 "forward accepts: name, target, command, ports"));
  EXPECT_THAT(parse(defaultsWith("replay_buffer", "1Mi")),
              testing::invalidAt(1, 12,
                                 "defaults.replay_buffer: unknown key; did you mean "
                                 "\"replayBuffer\"?"));
  EXPECT_THAT(
      parse(defaultsWith("idleTimout", "1m")),
      testing::invalidAt(1, 12, "defaults.idleTimout: unknown key; did you mean \"idleTimeout\"?"));
  EXPECT_THAT(parse(kubectlForwardWith("drain_timeout", "1m")),
              testing::invalidAt(5, 5,
                                 "forwards[0].drain_timeout: unknown key; did you mean "
                                 "\"drainTimeout\"?"));
  EXPECT_THAT(parse(kubectlForwardWith("holdTimeOut", "1m")),
              testing::invalidAt(5, 5,
                                 "forwards[0].holdTimeOut: unknown key; did you mean "
                                 "\"holdTimeout\"?"));
}

}  // namespace
}  // namespace pfd::config
