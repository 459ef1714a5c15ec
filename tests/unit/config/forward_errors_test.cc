// Errors about one forward: names, targets, commands, kubectl-only fields, enabled, address,
// and about forwards that clash with each other.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using testing::invalidAt;
using testing::parse;

TEST(ForwardErrorsTest, MissingNameIsReported) {
  EXPECT_THAT(parse("forwards:\n  - target: web\n    ports: [\"80\"]\n"),
              invalidAt(2, 5, "forwards[0]: missing \"name\""));
}

TEST(ForwardErrorsTest, EmptyNameIsRefused) {
  EXPECT_THAT(parse("forwards:\n  - name: \"\"\n    target: web\n    ports: [\"80\"]\n"),
              invalidAt(2, 11, "forwards[0].name: is empty; give the forward a name"));
}

TEST(ForwardErrorsTest, NameMustBeADnsLabel) {
  for (const char* name : {"Web", "web_1", "-web", "web-", "a.b",
                           "a123456789012345678901234567890123456789012345678901234567890123"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(parse(std::string("forwards:\n  - name: ") + name +
                      "\n    target: web\n    ports: [\"80\"]\n"),
                invalidAt(2, 11,
                          "forwards[0].name: \"" + std::string(name) +
                              "\" is not a valid forward name; use 1-63 lowercase"));
  }
}

TEST(ForwardErrorsTest, DuplicateNamePointsAtTheSecondAndNamesTheFirst) {
  EXPECT_THAT(parse("forwards:\n"
                    "  - name: web\n    target: web\n    ports: [\"80\"]\n"
                    "  - name: api\n    target: api\n    ports: [\"81\"]\n"
                    "  - name: web\n    target: web2\n    ports: [\"82\"]\n"),
              invalidAt(8, 11,
                        "forwards[2].name: \"web\" is already the name of forwards[0] (line 2); "
                        "forward names must be unique"));
}

TEST(ForwardErrorsTest, TargetAndCommandTogetherAreRefused) {
  EXPECT_THAT(parse("forwards:\n  - name: web\n    target: web\n    command: [ssh]\n"
                    "    ports: [\"80\"]\n"),
              invalidAt(4, 14, "forwards[0].command: is set together with target"));
}

TEST(ForwardErrorsTest, NeitherTargetNorCommandIsRefused) {
  EXPECT_THAT(parse("forwards:\n  - name: web\n    ports: [\"80\"]\n"),
              invalidAt(2, 5, "forwards[0]: has neither target nor command"));
}

TEST(ForwardErrorsTest, EmptyCommandIsRefused) {
  EXPECT_THAT(parse("forwards:\n  - name: b\n    command: []\n    ports: [\"5432\"]\n"),
              invalidAt(3, 14, "forwards[0].command: is empty; write the program"));
  EXPECT_THAT(parse("forwards:\n  - name: b\n    command: [\"\", x]\n    ports: [\"5432\"]\n"),
              invalidAt(3, 15, "forwards[0].command[0]: the program name is empty"));
  EXPECT_THAT(parse("forwards:\n  - name: b\n    command: ssh -N bastion\n    ports: [\"5432\"]\n"),
              invalidAt(3, 14,
                        "forwards[0].command: is \"ssh -N bastion\"; write the program and "
                        "its arguments as a list"));
}

TEST(ForwardErrorsTest, CommandArgumentsMustBeStrings) {
  EXPECT_THAT(parse("forwards:\n  - name: b\n    command: [ssh, [x]]\n    ports: [\"5432\"]\n"),
              invalidAt(3, 20, "forwards[0].command[1]: is a list; write a string"));
}

TEST(ForwardErrorsTest, KubectlOnlyFieldsOnACommandForwardAreRefused) {
  for (const char* field :
       {"namespace: shop", "context: dev", "kubeconfig: /k", "kubectl: k", "requestTimeout: 5s"}) {
    SCOPED_TRACE(field);
    std::string key(field, std::string(field).find(':'));
    EXPECT_THAT(parse(std::string("forwards:\n  - name: b\n    command: [ssh]\n    ports: "
                                  "[\"5432\"]\n    ") +
                      field + "\n"),
                invalidAt(5, static_cast<int>(key.size()) + 7,
                          "forwards[0]." + key +
                              ": only applies to kubectl forwards (with target), but this "
                              "forward runs a command; remove it"));
  }
}

TEST(ForwardErrorsTest, EnabledMustBeABool) {
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n    enabled: 1\n"),
              invalidAt(5, 14, "forwards[0].enabled: \"1\" is not a boolean; write true or false"));
  EXPECT_THAT(
      parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n    enabled: \"no\"\n"),
      invalidAt(5, 14, "forwards[0].enabled: \"no\" is a quoted string"));
}

TEST(ForwardErrorsTest, BadTargetKindListsTheAcceptedOnes) {
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: cronjob/w\n    ports: [\"80\"]\n"),
              invalidAt(3, 13,
                        "forwards[0].target: \"cronjob/w\": \"cronjob\" is not a kind kubectl "
                        "port-forward accepts; write NAME (a pod) or KIND/NAME with KIND one of "
                        "pod, deployment"));
}

TEST(ForwardErrorsTest, TargetWithoutNameIsRefused) {
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: deployment/\n    ports: [\"80\"]\n"),
              invalidAt(3, 13, "\"deployment/\" has no name after the '/'"));
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: \"\"\n    ports: [\"80\"]\n"),
              invalidAt(3, 13, "forwards[0].target: is empty; write NAME (a pod) or KIND/NAME"));
}

TEST(ForwardErrorsTest, TargetNameMustBeAValidKubernetesName) {
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: deploy/Web_1\n    ports: [\"80\"]\n"),
              invalidAt(3, 13,
                        "\"deploy/Web_1\": \"Web_1\" is not a valid deployment name; use "
                        "lowercase letters, digits, '-' and '.'"));
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: svc/1web\n    ports: [\"80\"]\n"),
              invalidAt(3, 13,
                        "\"1web\" is not a valid service name; use 1-63 lowercase letters, "
                        "digits and '-', starting with a letter"));
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: pod/a/b\n    ports: [\"80\"]\n"),
              invalidAt(3, 13, "\"a/b\" is not a valid pod name"));
}

TEST(ForwardErrorsTest, NamespaceMustBeADnsLabel) {
  EXPECT_THAT(parse("defaults: {namespace: Shop}\nforwards: []\n"),
              invalidAt(1, 23, "defaults.namespace: \"Shop\" is not a namespace name"));
}

TEST(ForwardErrorsTest, EmptyKubectlIsRefused) {
  EXPECT_THAT(parse("defaults: {kubectl: \"\"}\nforwards: []\n"),
              invalidAt(1, 21, "defaults.kubectl: is empty; write a value or remove the key"));
}

TEST(ForwardErrorsTest, AddressMustBeIpLiteralsOrLocalhost) {
  EXPECT_THAT(parse("defaults: {address: my-laptop}\nforwards: []\n"),
              invalidAt(1, 21,
                        "defaults.address: \"my-laptop\" is not an IP address or "
                        "localhost"));
  EXPECT_THAT(parse("defaults: {address: \"127.0.0.1,::1,\"}\nforwards: []\n"),
              invalidAt(1, 21, "\"\" is not an IP address"));
  EXPECT_OK(parse("defaults: {address: \"localhost, 0.0.0.0,::\"}\nforwards: []\n"));
}

}  // namespace
}  // namespace pfd::config
