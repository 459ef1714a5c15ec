// Errors about readiness probes.
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

// A forward with local ports 8080 and 9090 whose `readiness:` mapping, given in flow style,
// starts on line 5 at column 16.
std::string withProbe(const std::string& probe) {
  return "forwards:\n  - name: web\n    target: web\n    ports: [\"8080:80\", \"9090\"]\n"
         "    readiness: " +
         probe + "\n";
}

TEST(ProbeErrorsTest, ProbeWithoutHandlerIsRefused) {
  EXPECT_THAT(parse(withProbe("{periodSeconds: 5}")),
              invalidAt(5, 16,
                        "forwards[0].readiness: has no handler; a probe has exactly one of "
                        "httpGet, tcpSocket or exec"));
  EXPECT_THAT(parse(withProbe("{}")), invalidWith("has no handler"));
}

TEST(ProbeErrorsTest, ProbeWithSeveralHandlersIsRefused) {
  EXPECT_THAT(parse(withProbe("{httpGet: {}, exec: {command: [x]}}")),
              invalidAt(5, 36,
                        "forwards[0].readiness.exec: is set together with httpGet; a probe "
                        "has exactly one of httpGet, tcpSocket or exec"));
}

TEST(ProbeErrorsTest, ProbePortMustBeALocalPortOfTheForward) {
  EXPECT_THAT(parse(withProbe("{tcpSocket: {port: 80}}")),
              invalidAt(5, 35,
                        "forwards[0].readiness.tcpSocket.port: 80 is not a local port of "
                        "forward \"web\" (8080, 9090); a probe goes through the tunnel"));
}

TEST(ProbeErrorsTest, DefaultProbePortIsCheckedForEveryForward) {
  EXPECT_THAT(parse("defaults:\n  readiness: {httpGet: {port: 8080}}\nforwards:\n"
                    "  - {name: a, target: a, ports: [\"8080\"]}\n"
                    "  - {name: b, target: b, ports: [\"5432\"]}\n"),
              invalidAt(2, 31,
                        "defaults.readiness.httpGet.port: 8080 is not a local port of "
                        "forward \"b\" (5432)"));
}

TEST(ProbeErrorsTest, ProbePortMustBeANumber) {
  EXPECT_THAT(parse(withProbe("{httpGet: {port: http}}")),
              invalidAt(5, 33,
                        "forwards[0].readiness.httpGet.port: \"http\" is not a whole "
                        "number"));
  EXPECT_THAT(parse(withProbe("{httpGet: {port: 70000}}")),
              invalidAt(5, 33, "70000 is not a port"));
  EXPECT_THAT(parse(withProbe("{httpGet: {port: 0}}")), invalidAt(5, 33, "0 is too small"));
}

TEST(ProbeErrorsTest, SchemeMustBeHttpOrHttps) {
  EXPECT_THAT(parse(withProbe("{httpGet: {scheme: http}}")),
              invalidAt(5, 35,
                        "forwards[0].readiness.httpGet.scheme: \"http\" is not a scheme; "
                        "write HTTP or HTTPS"));
  EXPECT_THAT(parse(withProbe("{httpGet: {scheme: GRPC}}")),
              invalidWith("\"GRPC\" is not a scheme"));
}

TEST(ProbeErrorsTest, PathMustStartWithSlash) {
  EXPECT_THAT(parse(withProbe("{httpGet: {path: healthz}}")),
              invalidAt(5, 33,
                        "forwards[0].readiness.httpGet.path: \"healthz\" does not start "
                        "with \"/\"; write e.g. /healthz"));
  EXPECT_THAT(parse(withProbe("{httpGet: {path: \"/a b\"}}")), invalidWith("contains whitespace"));
}

TEST(ProbeErrorsTest, HeadersNeedAValidNameAndAValue) {
  EXPECT_THAT(parse(withProbe("{httpGet: {httpHeaders: [{name: \"Bad Header\", value: x}]}}")),
              invalidAt(5, 48,
                        "forwards[0].readiness.httpGet.httpHeaders[0].name: \"Bad Header\" "
                        "is not an HTTP header name"));
  EXPECT_THAT(parse(withProbe("{httpGet: {httpHeaders: [{name: Host}]}}")),
              invalidAt(5, 41, "forwards[0].readiness.httpGet.httpHeaders[0]: missing \"value\""));
  EXPECT_THAT(parse(withProbe("{httpGet: {httpHeaders: {Host: x}}}")),
              invalidAt(5, 40,
                        "forwards[0].readiness.httpGet.httpHeaders: is a mapping; write a "
                        "list"));
}

TEST(ProbeErrorsTest, ExecNeedsACommandList) {
  EXPECT_THAT(parse(withProbe("{exec: {}}")),
              invalidAt(5, 23, "forwards[0].readiness.exec: missing \"command\""));
  EXPECT_THAT(parse(withProbe("{exec: {command: []}}")),
              invalidAt(5, 33, "forwards[0].readiness.exec.command: is empty"));
  EXPECT_THAT(parse(withProbe("{exec: }")),
              invalidAt(5, 17, "forwards[0].readiness.exec: has no value; write an exec probe"));
}

TEST(ProbeErrorsTest, TimingFieldsFollowKubernetesLimits) {
  EXPECT_THAT(parse(withProbe("{tcpSocket: {}, periodSeconds: 0}")),
              invalidAt(5, 47,
                        "forwards[0].readiness.periodSeconds: 0 is too small; write a whole "
                        "number of at least 1"));
  EXPECT_THAT(parse(withProbe("{tcpSocket: {}, timeoutSeconds: 0}")),
              invalidWith("timeoutSeconds: 0 is too small"));
  EXPECT_THAT(parse(withProbe("{tcpSocket: {}, successThreshold: 0}")),
              invalidWith("successThreshold: 0 is too small"));
  EXPECT_THAT(parse(withProbe("{tcpSocket: {}, failureThreshold: -1}")),
              invalidWith("failureThreshold: -1 is too small"));
  EXPECT_THAT(parse(withProbe("{tcpSocket: {}, initialDelaySeconds: -1}")),
              invalidWith("initialDelaySeconds: -1 is too small; write a whole number of at least "
                          "0"));
  EXPECT_THAT(parse(withProbe("{tcpSocket: {}, periodSeconds: 1.5}")),
              invalidWith("periodSeconds: \"1.5\" is not a whole number"));
  EXPECT_THAT(parse(withProbe("{tcpSocket: {}, periodSeconds: 10s}")),
              invalidWith("periodSeconds: \"10s\" is not a whole number"));
  EXPECT_OK(parse(withProbe("{tcpSocket: {}, initialDelaySeconds: 0}")));
}

TEST(ProbeErrorsTest, InsecureSkipVerifyMustBeABool) {
  EXPECT_THAT(parse(withProbe("{httpGet: {insecureSkipVerify: maybe}}")),
              invalidWith("insecureSkipVerify: \"maybe\" is not a boolean"));
}

TEST(ProbeErrorsTest, ReadinessMustBeAMapping) {
  EXPECT_THAT(parse(withProbe("tcp")),
              invalidAt(5, 16, "forwards[0].readiness: is \"tcp\"; write a readiness probe"));
}

}  // namespace
}  // namespace pfd::config
