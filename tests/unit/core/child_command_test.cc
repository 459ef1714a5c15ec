#include "daemon/core/child_command.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::core {
namespace {

using ::testing::ElementsAre;

TEST(ChildCommandTest, KubectlArgvCarriesTargetPortsAndEveryOption) {
  ForwardSpec spec{.name = "web",
                   .target = "deployment/web",
                   .ports = {{8080, "8000"}, {9090, ""}},
                   .kubectl = "/opt/kubectl",
                   .kubeconfig = "/home/u/.kube/dev",
                   .context = "kind-dev",
                   .namespace_name = "shop",
                   .address = "127.0.0.1",
                   .request_timeout = std::chrono::milliseconds(10000),
                   .hold_port = false};
  EXPECT_THAT(childArgv(spec),
              ElementsAre("/opt/kubectl", "port-forward", "deployment/web", "8080:8000", "9090",
                          "--address", "127.0.0.1", "--namespace", "shop", "--context", "kind-dev",
                          "--kubeconfig", "/home/u/.kube/dev", "--request-timeout=10s"));
}

TEST(ChildCommandTest, EmptyContextAndKubeconfigAreLeftToKubectl) {
  ForwardSpec spec{.name = "db", .target = "pod/db-0", .ports = {{5432, "5432"}}};
  spec.request_timeout = std::chrono::milliseconds(1500);
  spec.hold_port = false;
  EXPECT_THAT(childArgv(spec),
              ElementsAre("kubectl", "port-forward", "pod/db-0", "5432", "--address", "127.0.0.1",
                          "--namespace", "default", "--request-timeout=1500ms"));
}

TEST(ChildCommandTest, WithHeldPortsKubectlTakesAnEphemeralLoopbackPortPerRemotePort) {
  ForwardSpec spec{.name = "web",
                   .target = "pod/web-1",
                   .ports = {{8080, "8000"}, {9090, ""}, {3000, "http"}},
                   .address = "0.0.0.0"};
  EXPECT_THAT(childArgv(spec), ElementsAre("kubectl", "port-forward", "pod/web-1", "0:8000",
                                           "0:9090", "0:http", "--address", "127.0.0.1",
                                           "--namespace", "default", "--request-timeout=10s"));
}

TEST(ChildCommandTest, CommandForwardsRunTheirCommandVerbatim) {
  ForwardSpec spec{.name = "bastion",
                   .command = {"ssh", "-N", "-L", "5432:db:5432", "bastion host"},
                   .ports = {{5432, ""}}};
  EXPECT_THAT(childArgv(spec), ElementsAre("ssh", "-N", "-L", "5432:db:5432", "bastion host"));
}

TEST(ChildCommandTest, FormatsPortsTheWayKubectlTakesThem) {
  EXPECT_EQ(formatPorts({{8080, "8000"}, {9090, ""}, {7000, "7000"}, {3000, "http"}}),
            "8080:8000,9090,7000,3000:http");
}

}  // namespace
}  // namespace pfd::core
