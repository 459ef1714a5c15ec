#include "daemon/process/child_environment.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::process {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

TEST(ChildEnvironmentTest, InheritsTheParentsEnvironment) {
  const char* parent[] = {"HOME=/home/me", "PATH=/usr/bin", nullptr};
  EXPECT_THAT(childEnvironment(parent, {}), ElementsAre("HOME=/home/me", "PATH=/usr/bin"));
}

TEST(ChildEnvironmentTest, LeavesOutWhatSystemdGavePfdItself) {
  const char* parent[] = {"HOME=/home/me",
                          "NOTIFY_SOCKET=/run/user/1000/systemd/notify",
                          "WATCHDOG_PID=42",
                          "WATCHDOG_USEC=30000000",
                          "LISTEN_PID=42",
                          "LISTEN_FDS=1",
                          "LISTEN_FDNAMES=x",
                          "NOTIFY_SOCKETS=kept",
                          nullptr};
  EXPECT_THAT(childEnvironment(parent, {}), ElementsAre("HOME=/home/me", "NOTIFY_SOCKETS=kept"));
}

TEST(ChildEnvironmentTest, OverrideReplacesTheVariableInPlace) {
  const char* parent[] = {"HOME=/home/me", "PATH=/usr/bin", "LANG=C", nullptr};
  EXPECT_THAT(childEnvironment(parent, {{"PATH", "/opt/bin:/usr/bin"}}),
              ElementsAre("HOME=/home/me", "PATH=/opt/bin:/usr/bin", "LANG=C"));
}

TEST(ChildEnvironmentTest, NewVariableIsAddedAtTheEnd) {
  const char* parent[] = {"HOME=/home/me", nullptr};
  EXPECT_THAT(childEnvironment(parent, {{"KUBECONFIG", "/tmp/kc"}}),
              ElementsAre("HOME=/home/me", "KUBECONFIG=/tmp/kc"));
}

TEST(ChildEnvironmentTest, LaterOverrideOfTheSameNameWins) {
  const char* parent[] = {nullptr};
  EXPECT_THAT(childEnvironment(parent, {{"A", "1"}, {"A", "2"}}), ElementsAre("A=2"));
}

TEST(ChildEnvironmentTest, ValueMayContainEqualsSigns) {
  const char* parent[] = {"OPTS=a=b", nullptr};
  const std::vector<std::string> environment = childEnvironment(parent, {{"X", "c=d"}});
  EXPECT_THAT(environment, ElementsAre("OPTS=a=b", "X=c=d"));
  EXPECT_THAT(environmentValue(environment, "OPTS"), Optional(std::string_view("a=b")));
}

TEST(ChildEnvironmentTest, ValueOfAnUnsetVariableIsEmptyOptional) {
  const char* parent[] = {"PATHX=/bin", "EMPTY=", nullptr};
  const std::vector<std::string> environment = childEnvironment(parent, {});
  EXPECT_EQ(environmentValue(environment, "PATH"), std::nullopt);
  EXPECT_THAT(environmentValue(environment, "EMPTY"), Optional(std::string_view("")));
}

}  // namespace
}  // namespace pfd::process
