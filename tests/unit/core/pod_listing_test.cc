#include "daemon/core/pod_listing.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::core {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PodListingTest, DeploymentSelectorFromMatchLabelsAndExpressions) {
  auto object = parseTargetObject(
      "Deployment\napp=web,tier=front,\nenv In prod,staging,;canary DoesNotExist ;\n\n");
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(object->kind, "Deployment");
  EXPECT_EQ(object->selector, "app=web,tier=front,env in (prod,staging),!canary");
  EXPECT_TRUE(object->service_ports.empty());
}

TEST(PodListingTest, ServiceSelectorAndPorts) {
  auto object = parseTargetObject("Service\napp=web,\n\n80/http/http;9090/<no value>/9091;\n");
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(object->selector, "app=web");
  ASSERT_EQ(object->service_ports.size(), 2u);
  EXPECT_EQ(object->service_ports[0].name, "http");
  EXPECT_EQ(object->service_ports[0].target_port, "http");
  EXPECT_EQ(object->service_ports[1].name, "");
  EXPECT_EQ(object->service_ports[1].target_port, "9091");
}

TEST(PodListingTest, AWorkloadWithoutSelectorIsAnError) {
  EXPECT_THAT(parseTargetObject("Service\n\n\n\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no pod selector")));
  EXPECT_THAT(parseTargetObject(""), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("kind")));
}

TEST(PodListingTest, ParsesPodLines) {
  std::vector<PodInfo> pods = parsePodList(
      "web-a\t2026-11-24T10:00:00Z\tlive\tRunning\tTrue\thttp=8080,metrics=9100,\n"
      "web-b\t2026-11-24T10:05:00Z\tterminating\tRunning\tFalse\t\n"
      "web-c\t2026-11-24T10:06:00Z\tlive\t<no value>\t\t\n");
  ASSERT_EQ(pods.size(), 3u);
  EXPECT_EQ(pods[2].phase, "<no value>");
  EXPECT_EQ(pods[0].name, "web-a");
  EXPECT_TRUE(pods[0].ready);
  EXPECT_FALSE(pods[0].terminating);
  EXPECT_EQ(pods[0].named_ports.at("metrics"), "9100");
  EXPECT_TRUE(pods[1].terminating);
  EXPECT_FALSE(pods[1].ready);
}

PodInfo pod(std::string name, std::string created, bool ready, bool terminating = false,
            std::string phase = "Running") {
  return {.name = std::move(name),
          .created = std::move(created),
          .terminating = terminating,
          .phase = std::move(phase),
          .ready = ready};
}

TEST(PodListingTest, NeverChoosesATerminatingPodEvenIfOlderAndReady) {
  auto chosen = choosePod({pod("old", "2026-01-01T00:00:00Z", true, /*terminating=*/true),
                           pod("new", "2026-01-02T00:00:00Z", true)},
                          "deployment/web");
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->name, "new");
}

TEST(PodListingTest, PrefersReadyThenNewest) {
  auto chosen =
      choosePod({pod("a", "2026-01-01T00:00:00Z", true), pod("b", "2026-01-03T00:00:00Z", false),
                 pod("c", "2026-01-02T00:00:00Z", true)},
                "deployment/web");
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->name, "c");
}

TEST(PodListingTest, ChoiceReasonSaysWhyThatPod) {
  const std::vector<PodInfo> pods = {
      pod("a", "2026-01-01T00:00:00Z", true), pod("b", "2026-01-03T00:00:00Z", false),
      pod("c", "2026-01-02T00:00:00Z", true), pod("d", "2026-01-04T00:00:00Z", true, true)};
  EXPECT_EQ(choiceReason(pods, "c", "deployment/web"),
            "the newest of 2 Ready pods of deployment/web (1 terminating, 1 not Ready skipped)");
  EXPECT_EQ(choiceReason({pod("a", "t", true)}, "a", "service/web"),
            "the only Ready pod of service/web");
  EXPECT_EQ(choiceReason({pod("a", "t", false)}, "a", "deployment/web"),
            "no pod of deployment/web is Ready: a is Running but not Ready, the last resort");
}

TEST(PodListingTest, NoUsablePodSaysWhatItSaw) {
  EXPECT_THAT(choosePod({}, "deployment/web"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "no pods match deployment/web"));
  EXPECT_THAT(choosePod({pod("a", "t", true, true), pod("b", "t", false, false, "Pending")},
                        "deployment/web"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "no running pod for deployment/web (a Terminating, b Pending)"));
}

TEST(PodListingTest, ServicePortsBecomeContainerPorts) {
  TargetObject service{.kind = "Service",
                       .selector = "app=web",
                       .service_ports = {{.port = "80", .name = "http", .target_port = "http"},
                                         {.port = "81", .name = "", .target_port = "9091"}}};
  PodInfo web = pod("web-a", "t", true);
  web.named_ports["http"] = "8080";
  auto ports = podPorts({{8080, "80"}, {9000, "81"}, {7000, "http"}}, service, web);
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_THAT(*ports,
              ElementsAre(PortSpec{8080, "8080"}, PortSpec{9000, "9091"}, PortSpec{7000, "8080"}));
  EXPECT_THAT(podPorts({{8080, "443"}}, service, web),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no port 443")));
  PodInfo unnamed = pod("web-b", "t", true);
  EXPECT_THAT(
      podPorts({{8080, "80"}}, service, unnamed),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no container port named http")));
}

TEST(PodListingTest, WorkloadPortsPassThrough) {
  TargetObject deployment{.kind = "Deployment", .selector = "app=web"};
  auto ports = podPorts({{8080, "http"}}, deployment, pod("web-a", "t", true));
  ASSERT_TRUE(ports.ok());
  EXPECT_THAT(*ports, ElementsAre(PortSpec{8080, "http"}));
}

TEST(PodListingTest, SelectorsMatchLikeKubectls) {
  const std::map<std::string, std::string> labels = {{"app", "web"}, {"env", "prod"}};
  EXPECT_TRUE(selectorMatches("app=web", labels));
  EXPECT_TRUE(selectorMatches("app==web,env=prod", labels));
  EXPECT_FALSE(selectorMatches("app=api", labels));
  EXPECT_TRUE(selectorMatches("app!=api", labels));
  EXPECT_TRUE(selectorMatches("env in (staging,prod),app", labels));
  EXPECT_FALSE(selectorMatches("env notin (staging,prod)", labels));
  EXPECT_TRUE(selectorMatches("!canary", labels));
  EXPECT_FALSE(selectorMatches("!app", labels));
  EXPECT_TRUE(selectorMatches("", labels));
}

}  // namespace
}  // namespace pfd::core
