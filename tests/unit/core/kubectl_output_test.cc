#include "daemon/core/kubectl_output.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::core {
namespace {

using ::testing::HasSubstr;
using Kind = KubectlLine::Kind;

TEST(KubectlOutputTest, ForwardingLinesNameTheLocalPort) {
  KubectlLine v4 = classifyKubectlLine("Forwarding from 127.0.0.1:8080 -> 8000");
  EXPECT_EQ(v4.kind, Kind::kForwarding);
  EXPECT_EQ(v4.local_port, 8080);
  KubectlLine v6 = classifyKubectlLine("Forwarding from [::1]:9090 -> 9090");
  EXPECT_EQ(v6.kind, Kind::kForwarding);
  EXPECT_EQ(v6.local_port, 9090);
}

TEST(KubectlOutputTest, HandlingConnectionIsAConnectionNotAnError) {
  KubectlLine line = classifyKubectlLine("Handling connection for 8080");
  EXPECT_EQ(line.kind, Kind::kConnection);
  EXPECT_EQ(line.local_port, 8080);
}

TEST(KubectlOutputTest, WrappedUnhandledErrorOfNewKubectlBreaksTheForward) {
  KubectlLine line = classifyKubectlLine(
      "E1124 19:41:29.123456   12345 portforward.go:424] \"Unhandled Error\" err=\"an error "
      "occurred forwarding 8080 -> 8000: error forwarding port 8000 to pod web-7d9f-abcde, uid : "
      "failed to execute portforward in network namespace \\\"/var/run/netns/cni-1\\\": failed to "
      "connect to localhost:8000 inside namespace, IPv4: dial tcp4 127.0.0.1:8000: connect: "
      "connection refused \"",
      "web-7d9f-abcde");
  EXPECT_EQ(line.kind, Kind::kBroken);
  EXPECT_TRUE(line.app_refused);
  EXPECT_EQ(line.reason,
            "app not listening on port 8000 in pod web-7d9f-abcde (connection refused inside the "
            "pod)");
}

TEST(KubectlOutputTest, BareErrorOfOldKubectlBreaksTheForward) {
  KubectlLine line = classifyKubectlLine(
      "E1124 19:41:29.123456   12345 portforward.go:409] an error occurred forwarding 8080 -> "
      "8000: error forwarding port 8000 to pod web-1, uid : exit status 1: 2024/11/24 socat[7] E "
      "connect(5, AF=2 127.0.0.1:8000, 16): Connection refused");
  EXPECT_EQ(line.kind, Kind::kBroken);
  EXPECT_TRUE(line.app_refused);
  EXPECT_EQ(line.reason,
            "app not listening on port 8000 in the pod (connection refused inside the pod)");
}

TEST(KubectlOutputTest, LostConnectionToPodBreaksTheForward) {
  KubectlLine line = classifyKubectlLine("error: lost connection to pod", "web-1");
  EXPECT_EQ(line.kind, Kind::kBroken);
  EXPECT_EQ(line.reason, "lost connection to pod web-1");
}

TEST(KubectlOutputTest, StreamCreationErrorsBreakTheForward) {
  EXPECT_EQ(classifyKubectlLine("E1124 10:00:00.000000 1 portforward.go:394] error creating error "
                                "stream for port 8080 -> 8000: Timeout occurred")
                .kind,
            Kind::kBroken);
  EXPECT_EQ(classifyKubectlLine("E1124 10:00:00.000000 1 portforward.go:394] \"Unhandled Error\" "
                                "err=\"error creating forwarding stream for port 8080 -> 8000: "
                                "Timeout occurred\"")
                .kind,
            Kind::kBroken);
}

TEST(KubectlOutputTest, PodGoneIsReportedAsSuch) {
  KubectlLine line = classifyKubectlLine(
      "E1124 19:41:29.123456 1 portforward.go:424] \"Unhandled Error\" err=\"an error occurred "
      "forwarding 8080 -> 8000: error forwarding port 8000 to pod web-1, uid : No such container: "
      "abc\"",
      "web-1");
  EXPECT_EQ(line.kind, Kind::kBroken);
  EXPECT_THAT(line.reason, HasSubstr("pod web-1 is gone"));
  KubectlLine containerd = classifyKubectlLine(
      "E1124 20:01:28.531541   12217 portforward.go:409] an error occurred forwarding 4242 -> "
      "8080: error forwarding port 8080 to pod 8667fc3d, uid : failed to find sandbox "
      "\"8667fc3d\" in store: not found");
  EXPECT_EQ(containerd.kind, Kind::kBroken);
  EXPECT_THAT(containerd.reason, HasSubstr("the pod is gone"));
}

TEST(KubectlOutputTest, LocalPortInUseIsRecognised) {
  KubectlLine line = classifyKubectlLine(
      "Unable to listen on port 8080: Listeners failed to create with the following errors: "
      "[unable to create listener: Error listen tcp4 127.0.0.1:8080: bind: address already in "
      "use]");
  EXPECT_EQ(line.kind, Kind::kBroken);
  EXPECT_TRUE(line.port_in_use);
  EXPECT_EQ(line.local_port, 8080);
  EXPECT_EQ(line.reason, "local port 8080 is already in use");
}

TEST(KubectlOutputTest, ServerErrorsKeepTheirKindAndMessage) {
  KubectlLine line =
      classifyKubectlLine("Error from server (NotFound): deployments.apps \"web\" not found");
  EXPECT_EQ(line.kind, Kind::kError);
  EXPECT_EQ(line.reason, "NotFound: deployments.apps \"web\" not found");
}

TEST(KubectlOutputTest, UnreachableApiServerSaysSo) {
  KubectlLine refused = classifyKubectlLine(
      "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host "
      "or port?");
  EXPECT_EQ(refused.kind, Kind::kError);
  EXPECT_THAT(refused.reason, HasSubstr("API server unreachable"));
  KubectlLine timeout = classifyKubectlLine(
      "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while "
      "awaiting headers)");
  EXPECT_THAT(timeout.reason, HasSubstr("API server unreachable"));
}

TEST(KubectlOutputTest, WedgedStreamsSayTheTunnelIsWedged) {
  KubectlLine line = classifyKubectlLine(
      "E1124 10:00:00.000000 1 portforward.go:357] \"Unhandled Error\" err=\"error creating error "
      "stream for port 4242 -> 8080: Timeout occurred\"",
      "web-1");
  EXPECT_EQ(line.kind, Kind::kBroken);
  EXPECT_THAT(line.reason, HasSubstr("tunnel to pod web-1 is wedged"));
}

TEST(KubectlOutputTest, UnknownContextIsAnError) {
  KubectlLine line = classifyKubectlLine(
      "Error in configuration: context was not found for specified context: nope");
  EXPECT_EQ(line.kind, Kind::kError);
  EXPECT_EQ(line.reason, "context was not found for specified context: nope");
}

TEST(KubectlOutputTest, PlainErrorLinesLoseTheirPrefix) {
  KubectlLine line = classifyKubectlLine("error: context \"nope\" does not exist");
  EXPECT_EQ(line.kind, Kind::kError);
  EXPECT_EQ(line.reason, "context \"nope\" does not exist");
}

// Found by tests/fuzz/kubectl_output_fuzzer: the reason was empty.
TEST(KubectlOutputTest, AnErrorLineThatIsOnlyItsPrefixStillHasAReason) {
  KubectlLine line = classifyKubectlLine("Error from server (");
  EXPECT_EQ(line.kind, Kind::kError);
  EXPECT_EQ(line.reason, "Error from server (");
}

TEST(KubectlOutputTest, OrdinaryLinesAreIgnored) {
  EXPECT_EQ(classifyKubectlLine("").kind, Kind::kOther);
  EXPECT_EQ(classifyKubectlLine("some chatter").kind, Kind::kOther);
  EXPECT_EQ(classifyKubectlLine("I1124 10:00:00.000000 1 x.go:1] informational").kind,
            Kind::kOther);
}

TEST(KubectlOutputTest, KlogHeaderIsStripped) {
  EXPECT_EQ(kubectlMessage("W1124 19:41:29.123456   12345 loader.go:222] config warning"),
            "config warning");
  EXPECT_EQ(kubectlMessage("plain"), "plain");
}

TEST(KubectlOutputTest, ClusterLevelReasonsAreTheApiServersFailures) {
  for (const char* reason :
       {"API server unreachable: Unable to connect to the server: dial tcp 127.0.0.1:6443: "
        "connect: connection refused",
        "no answer from the API server while looking for a pod of deployment/web within 6s",
        "Unauthorized: the server has asked for the client to provide credentials",
        "Unable to connect to the server: tls: failed to verify certificate: x509: certificate "
        "has expired or is not yet valid",
        "ServiceUnavailable: the server is currently unable to handle the request",
        "Unable to connect to the server: dial tcp: lookup api.example.com: no such host",
        "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded "
        "while awaiting headers)"}) {
    EXPECT_TRUE(isClusterLevelReason(reason)) << reason;
  }
  for (const char* reason :
       {"app not listening on port 8000 in pod web-1 (connection refused inside the pod)",
        "pod web-1 is gone (deleted or replaced): pods \"web-1\" not found",
        "NotFound: deployments.apps \"web\" not found",
        "Forbidden: pods \"web-1\" is forbidden: User \"dev\" cannot create resource "
        "\"pods/portforward\"",
        "lost connection to pod web-1", "local port 8080 is already in use", ""}) {
    EXPECT_FALSE(isClusterLevelReason(reason)) << reason;
  }
}

TEST(KubectlOutputTest, ForbiddenPortForwardSaysWhichVerbAndResourceIsMissing) {
  KubectlLine line = classifyKubectlLine(
      "error: error upgrading connection: pods \"web-1\" is forbidden: User \"fake-a-user\" "
      "cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"shop\"",
      "web-1");
  EXPECT_EQ(line.kind, Kind::kError);
  EXPECT_EQ(line.reason,
            "your user cannot create pods/portforward in namespace shop (RBAC); port-forward "
            "needs a Role with verb create on pods/portforward");
}

TEST(KubectlOutputTest, ForbiddenListOfTheResolverIsAnRbacReasonToo) {
  KubectlLine line = classifyKubectlLine(
      "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:ci:bot\" "
      "cannot list resource \"pods\" in API group \"\" in the namespace \"shop\"");
  EXPECT_EQ(line.kind, Kind::kError);
  EXPECT_EQ(line.reason, "your user cannot list pods in namespace shop (RBAC)");
}

TEST(KubectlOutputTest, RbacReasonSpellsGroupedResourcesAndClusterScope) {
  EXPECT_EQ(rbacReason("deployments.apps \"web\" is forbidden: User \"alice\" cannot get "
                       "resource \"deployments\" in API group \"apps\" in the namespace \"shop\""),
            "your user cannot get deployments.apps in namespace shop (RBAC)");
  EXPECT_EQ(rbacReason("namespaces is forbidden: User \"alice\" cannot list resource "
                       "\"namespaces\" in API group \"\" at the cluster scope"),
            "your user cannot list namespaces at the cluster scope (RBAC)");
  // A klog-wrapped line of a newer kubectl carries the same sentence.
  KubectlLine wrapped = classifyKubectlLine(
      "E0101 10:00:00.000000   42 portforward.go:413] \"Unhandled Error\" err=\"error upgrading "
      "connection: pods \\\"web-1\\\" is forbidden: User \\\"bob\\\" cannot create resource "
      "\\\"pods/portforward\\\" in API group \\\"\\\" in the namespace \\\"dev\\\"\"");
  EXPECT_THAT(wrapped.reason,
              HasSubstr("your user cannot create pods/portforward in namespace dev (RBAC)"));
}

TEST(KubectlOutputTest, RbacReasonIgnoresOtherMessages) {
  EXPECT_EQ(rbacReason("pods \"web-1\" not found"), std::nullopt);
  EXPECT_EQ(rbacReason("the app is forbidden: to say more"), std::nullopt);
  EXPECT_EQ(rbacReason("x is forbidden: User \"a\" cannot"), std::nullopt);
}

}  // namespace
}  // namespace pfd::core
