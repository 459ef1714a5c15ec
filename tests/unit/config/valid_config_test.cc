#include <cstdlib>
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
using core::PortSpec;
using core::ProbeSpec;
using ::testing::ElementsAre;
using ::testing::Field;
using testing::parse;
using ::testing::SizeIs;

constexpr char kTwoForwards[] = R"(
reloadOnChange: false
defaults:
  kubectl: /usr/local/bin/kubectl
  context: kind-dev
  namespace: shop
  address: 127.0.0.2
  backoff: {initial: 250ms, max: 1m30s, multiplier: 1.5, jitter: 0.1, resetAfter: 2m}
  startTimeout: 45s
  requestTimeout: 5s
forwards:
  - name: web
    target: deployment/example-go
    ports: ["8080:8000", "9090", 7070:http]
  - name: db
    target: svc/postgres
    ports: [5432]
    namespace: data
    context: prod
    address: localhost
    enabled: false
    backoff: {max: 2m}
    startTimeout: 10s
    requestTimeout: 0s
)";

TEST(ValidConfigTest, ParsesPortsInKubectlSyntax) {
  absl::StatusOr<Config> config = parse(kTwoForwards);
  ASSERT_OK(config);
  ASSERT_THAT(config->forwards, SizeIs(2));
  EXPECT_THAT(config->forwards[0].ports,
              ElementsAre(PortSpec{8080, "8000"}, PortSpec{9090, "9090"}, PortSpec{7070, "http"}));
  EXPECT_THAT(config->forwards[1].ports, ElementsAre(PortSpec{5432, "5432"}));
}

TEST(ValidConfigTest, KeepsFileOrderNamesTargetsAndPath) {
  absl::StatusOr<Config> config = parse(kTwoForwards);
  ASSERT_OK(config);
  EXPECT_EQ(config->path, "forwards.yaml");
  EXPECT_FALSE(config->reload_on_change);
  EXPECT_THAT(config->forwards, ElementsAre(Field(&core::ForwardSpec::name, "web"),
                                            Field(&core::ForwardSpec::name, "db")));
  EXPECT_EQ(config->forwards[0].target, "deployment/example-go");
  EXPECT_EQ(config->forwards[1].target, "svc/postgres");
  EXPECT_FALSE(config->forwards[0].isCommand());
}

TEST(ValidConfigTest, ForwardsInheritDefaults) {
  absl::StatusOr<Config> config = parse(kTwoForwards);
  ASSERT_OK(config);
  const core::ForwardSpec& web = config->forwards[0];
  EXPECT_EQ(web.kubectl, "/usr/local/bin/kubectl");
  EXPECT_EQ(web.context, "kind-dev");
  EXPECT_EQ(web.namespace_name, "shop");
  EXPECT_EQ(web.address, "127.0.0.2");
  EXPECT_TRUE(web.enabled);
  EXPECT_EQ(web.start_timeout, Milliseconds(45000));
  EXPECT_EQ(web.request_timeout, Milliseconds(5000));
  EXPECT_EQ(web.backoff, (core::BackoffSpec{Milliseconds(250), Milliseconds(90000), 1.5, 0.1,
                                            Milliseconds(120000)}));
  EXPECT_FALSE(web.readiness.has_value());
}

TEST(ValidConfigTest, ForwardFieldsOverrideDefaultsOneByOne) {
  absl::StatusOr<Config> config = parse(kTwoForwards);
  ASSERT_OK(config);
  const core::ForwardSpec& db = config->forwards[1];
  EXPECT_EQ(db.kubectl, "/usr/local/bin/kubectl");
  EXPECT_EQ(db.context, "prod");
  EXPECT_EQ(db.namespace_name, "data");
  EXPECT_EQ(db.address, "localhost");
  EXPECT_FALSE(db.enabled);
  EXPECT_EQ(db.start_timeout, Milliseconds(10000));
  EXPECT_EQ(db.request_timeout, Milliseconds(0));
  // Only max is overridden; the other backoff fields still come from defaults.
  EXPECT_EQ(db.backoff, (core::BackoffSpec{Milliseconds(250), Milliseconds(120000), 1.5, 0.1,
                                           Milliseconds(120000)}));
}

TEST(ValidConfigTest, WithoutDefaultsUsesForwardSpecDefaults) {
  absl::StatusOr<Config> config = parse(R"(
forwards:
  - name: web
    target: web-0
    ports: ["8080"]
)");
  ASSERT_OK(config);
  EXPECT_TRUE(config->reload_on_change);
  core::ForwardSpec expected;
  expected.name = "web";
  expected.target = "web-0";
  expected.ports = {PortSpec{8080, "8080"}};
  EXPECT_EQ(config->forwards[0], expected);
}

TEST(ValidConfigTest, EmptyForwardListAndEmptyDefaultsAreAccepted) {
  absl::StatusOr<Config> config = parse("defaults:\nforwards: []\n");
  ASSERT_OK(config);
  EXPECT_THAT(config->forwards, SizeIs(0));
}

TEST(ValidConfigTest, AcceptsGoStyleDurations) {
  absl::StatusOr<Config> config = parse(R"(
forwards:
  - name: web
    target: web
    ports: ["80"]
    backoff: {initial: 1.5s, max: 1h2m3s, resetAfter: 90s}
    startTimeout: 2m
    requestTimeout: 750ms
)");
  ASSERT_OK(config);
  const core::ForwardSpec& web = config->forwards[0];
  EXPECT_EQ(web.backoff.initial, Milliseconds(1500));
  EXPECT_EQ(web.backoff.max, Milliseconds((3600 + 120 + 3) * 1000));
  EXPECT_EQ(web.backoff.reset_after, Milliseconds(90000));
  EXPECT_EQ(web.start_timeout, Milliseconds(120000));
  EXPECT_EQ(web.request_timeout, Milliseconds(750));
}

TEST(ValidConfigTest, ExpandsHomeInKubeconfigAndKubectl) {
  std::string saved_home = std::getenv("HOME") != nullptr ? std::getenv("HOME") : "";
  setenv("HOME", "/home/tester", 1);
  absl::StatusOr<Config> config = parse(R"(
defaults:
  kubeconfig: ~/.kube/dev
forwards:
  - name: web
    target: web
    ports: ["80"]
  - name: api
    target: api
    ports: ["81"]
    kubectl: ~/bin/kubectl
    kubeconfig: /etc/kube/config
)");
  setenv("HOME", saved_home.c_str(), 1);
  ASSERT_OK(config);
  EXPECT_EQ(config->forwards[0].kubeconfig, "/home/tester/.kube/dev");
  EXPECT_EQ(config->forwards[0].kubectl, "kubectl");
  EXPECT_EQ(config->forwards[1].kubeconfig, "/etc/kube/config");
  EXPECT_EQ(config->forwards[1].kubectl, "/home/tester/bin/kubectl");
}

TEST(ValidConfigTest, CommandForwardKeepsItsArgvAndLocalPorts) {
  absl::StatusOr<Config> config = parse(R"(
defaults:
  namespace: shop
  context: kind-dev
  kubeconfig: /k
  requestTimeout: 3s
  address: 127.0.0.3
  startTimeout: 5s
forwards:
  - name: bastion
    command: ["ssh", "-N", "-L", "5432:db.internal:5432", "bastion"]
    ports: ["5432", 6543]
)");
  ASSERT_OK(config);
  const core::ForwardSpec& bastion = config->forwards[0];
  EXPECT_TRUE(bastion.isCommand());
  EXPECT_EQ(bastion.target, "");
  EXPECT_THAT(bastion.command, ElementsAre("ssh", "-N", "-L", "5432:db.internal:5432", "bastion"));
  EXPECT_THAT(bastion.ports, ElementsAre(PortSpec{5432, ""}, PortSpec{6543, ""}));
  // Shared settings apply; kubectl-only defaults do not.
  EXPECT_EQ(bastion.address, "127.0.0.3");
  EXPECT_EQ(bastion.start_timeout, Milliseconds(5000));
  core::ForwardSpec plain;
  EXPECT_EQ(bastion.namespace_name, plain.namespace_name);
  EXPECT_EQ(bastion.context, plain.context);
  EXPECT_EQ(bastion.kubeconfig, plain.kubeconfig);
  EXPECT_EQ(bastion.request_timeout, plain.request_timeout);
}

TEST(ValidConfigTest, HttpProbeKeepsEveryField) {
  absl::StatusOr<Config> config = parse(R"(
forwards:
  - name: web
    target: deployment/web
    ports: ["8080:8000", "9090"]
    readiness:
      httpGet:
        path: /healthz
        port: 9090
        scheme: HTTPS
        httpHeaders: [{name: Host, value: api.local}, {name: X-Token, value: ""}]
        insecureSkipVerify: true
      initialDelaySeconds: 2
      periodSeconds: 5
      timeoutSeconds: 3
      successThreshold: 2
      failureThreshold: 4
)");
  ASSERT_OK(config);
  ASSERT_TRUE(config->forwards[0].readiness.has_value());
  const ProbeSpec& probe = *config->forwards[0].readiness;
  EXPECT_EQ(probe.kind, ProbeSpec::Kind::kHttpGet);
  EXPECT_EQ(probe.path, "/healthz");
  EXPECT_EQ(probe.port, 9090);
  EXPECT_EQ(probe.scheme, "HTTPS");
  EXPECT_THAT(probe.headers,
              ElementsAre(core::HttpHeader{"Host", "api.local"}, core::HttpHeader{"X-Token", ""}));
  EXPECT_EQ(probe.initial_delay, Milliseconds(2000));
  EXPECT_EQ(probe.period, Milliseconds(5000));
  EXPECT_EQ(probe.timeout, Milliseconds(3000));
  EXPECT_EQ(probe.success_threshold, 2);
  EXPECT_EQ(probe.failure_threshold, 4);
}

TEST(ValidConfigTest, ProbeFieldsLeftOutTakeKubernetesDefaults) {
  absl::StatusOr<Config> config = parse(R"(
forwards:
  - name: web
    target: web
    ports: ["8080:80"]
    readiness:
      httpGet: {}
)");
  ASSERT_OK(config);
  const ProbeSpec& probe = *config->forwards[0].readiness;
  ProbeSpec expected;
  expected.kind = ProbeSpec::Kind::kHttpGet;
  expected.port = 8080;  // the forward's first local port
  EXPECT_EQ(probe, expected);
  EXPECT_EQ(probe.path, "/");
  EXPECT_EQ(probe.scheme, "HTTP");
  EXPECT_EQ(probe.period, Milliseconds(10000));
  EXPECT_EQ(probe.timeout, Milliseconds(1000));
  EXPECT_EQ(probe.failure_threshold, 3);
}

TEST(ValidConfigTest, TcpAndExecProbesParse) {
  absl::StatusOr<Config> config = parse(R"(
forwards:
  - name: tcp
    target: tcp
    ports: ["7000", "7001"]
    readiness: {tcpSocket: {port: 7001}}
  - name: bare-tcp
    target: tcp2
    ports: ["7002"]
    readiness: {tcpSocket: }
  - name: grpc
    target: grpc
    ports: ["9090"]
    readiness:
      exec: {command: ["grpc_health_probe", "-addr=localhost:9090"]}
)");
  ASSERT_OK(config);
  EXPECT_EQ(config->forwards[0].readiness->kind, ProbeSpec::Kind::kTcpSocket);
  EXPECT_EQ(config->forwards[0].readiness->port, 7001);
  EXPECT_EQ(config->forwards[1].readiness->kind, ProbeSpec::Kind::kTcpSocket);
  EXPECT_EQ(config->forwards[1].readiness->port, 7002);
  EXPECT_EQ(config->forwards[2].readiness->kind, ProbeSpec::Kind::kExec);
  EXPECT_THAT(config->forwards[2].readiness->command,
              ElementsAre("grpc_health_probe", "-addr=localhost:9090"));
}

TEST(ValidConfigTest, DefaultProbeUsesEachForwardsFirstLocalPort) {
  absl::StatusOr<Config> config = parse(R"(
defaults:
  readiness: {tcpSocket: {}, periodSeconds: 2}
forwards:
  - name: web
    target: web
    ports: ["8080:80", "8081:81"]
  - name: db
    target: db
    ports: ["5432"]
  - name: own
    target: own
    ports: ["6000"]
    readiness: {httpGet: {path: /ready}}
  - name: none
    target: none
    ports: ["6001"]
    readiness: null
)");
  ASSERT_OK(config);
  EXPECT_EQ(config->forwards[0].readiness->port, 8080);
  EXPECT_EQ(config->forwards[0].readiness->period, Milliseconds(2000));
  EXPECT_EQ(config->forwards[1].readiness->port, 5432);
  // A forward's own probe replaces the default one whole.
  EXPECT_EQ(config->forwards[2].readiness->kind, ProbeSpec::Kind::kHttpGet);
  EXPECT_EQ(config->forwards[2].readiness->port, 6000);
  EXPECT_EQ(config->forwards[2].readiness->period, Milliseconds(10000));
  EXPECT_FALSE(config->forwards[3].readiness.has_value());
}

TEST(ValidConfigTest, AcceptsEveryTargetKindKubectlPortForwardAccepts) {
  absl::StatusOr<Config> config = parse(R"(
forwards:
  - {name: a, target: web-0, ports: ["1001"]}
  - {name: b, target: pod/web-0, ports: ["1002"]}
  - {name: c, target: pods/web-0, ports: ["1003"]}
  - {name: d, target: po/web-0, ports: ["1004"]}
  - {name: e, target: deployment/web, ports: ["1005"]}
  - {name: f, target: deployments/web, ports: ["1006"]}
  - {name: g, target: deploy/web, ports: ["1007"]}
  - {name: h, target: replicaset/web-5d9, ports: ["1008"]}
  - {name: i, target: rs/web-5d9, ports: ["1009"]}
  - {name: j, target: statefulset/db, ports: ["1010"]}
  - {name: k, target: sts/db, ports: ["1011"]}
  - {name: l, target: service/web, ports: ["1012"]}
  - {name: m, target: svc/web, ports: ["1013"]}
  - {name: n, target: services/web, ports: ["1014"]}
  - {name: o, target: Deployment/my.app, ports: ["1015"]}
  - {name: p, target: ds/agent, ports: ["1016"]}
  - {name: q, target: job/migrate, ports: ["1017"]}
  - {name: r, target: rc/legacy, ports: ["1018"]}
)");
  EXPECT_OK(config);
}

TEST(ValidConfigTest, SamePortOnSeparateAddressesIsAllowed) {
  EXPECT_OK(parse(R"(
forwards:
  - {name: a, target: a, ports: ["8080"], address: 127.0.0.1}
  - {name: b, target: b, ports: ["8080"], address: 127.0.0.2}
  - {name: c, target: c, ports: ["8080"], address: "::1"}
)"));
}

TEST(ValidConfigTest, AcceptsALeadingDocumentMarkerAndComments) {
  EXPECT_OK(parse("# pfd\n---\nforwards: [] # none yet\n"));
}

}  // namespace
}  // namespace pfd::config
