// Workload and service targets: pfd asks kubectl which pods exist and forwards to the one it
// chooses, so it never lands on a terminating pod and always knows the pod's name.
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ForwardResolutionTest : public ForwardTestBase {
 protected:
  static ForwardSpec deploymentSpec() {
    ForwardSpec spec = kubectlSpec();
    spec.target = "deployment/web";
    spec.namespace_name = "shop";
    return spec;
  }

  static constexpr const char* kDeployment = "Deployment\napp=web,\n\n\n";
  static constexpr const char* kPods =
      "web-old\t2026-11-24T10:00:00Z\tterminating\tRunning\tTrue\thttp=8000,\n"
      "web-new\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,\n";
};

TEST_F(ForwardResolutionTest, ForwardsToTheChosenPod) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  ASSERT_EQ(launcher_.spawnCount(), 1u);
  const auto& get_target = launcher_.last()->spec.argv;
  EXPECT_EQ(get_target[1], "get");
  EXPECT_EQ(get_target[2], "deployment/web");
  EXPECT_THAT(get_target, Contains("shop"));
  answer(kDeployment);

  ASSERT_EQ(launcher_.spawnCount(), 2u);
  const auto& get_pods = launcher_.last()->spec.argv;
  EXPECT_THAT(std::vector<std::string>(get_pods.begin(), get_pods.begin() + 5),
              ElementsAre("kubectl", "get", "pods", "-l", "app=web"));
  answer(kPods);

  ASSERT_EQ(launcher_.spawnCount(), 3u);
  const auto& forward_argv = launcher_.last()->spec.argv;
  EXPECT_THAT(std::vector<std::string>(forward_argv.begin(), forward_argv.begin() + 4),
              ElementsAre("kubectl", "port-forward", "pod/web-new", "0:8000"));
  EXPECT_EQ(forward->pod(), "web-new");
  printForwarding(*launcher_.last(), forward->spec());
  EXPECT_EQ(forward->state(), ForwardState::kReady);
}

TEST_F(ForwardResolutionTest, RestartsReuseTheSelector) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  answer(kDeployment);
  answer(kPods);
  forward->restart();
  dispatcher_.runPosted();
  ASSERT_EQ(launcher_.spawnCount(), 4u);
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pods") << "no second `kubectl get deployment`";
}

TEST_F(ForwardResolutionTest, ServiceTargetPortsAreTranslated) {
  ForwardSpec spec = deploymentSpec();
  spec.target = "service/web";
  spec.ports = {{8080, "80"}};
  auto forward = makeForward(spec);
  forward->activate();
  answer("Service\napp=web,\n\n80/http/http;\n");
  answer(kPods);
  EXPECT_EQ(launcher_.last()->spec.argv[3], "0:8000") << "kubectl's ephemeral port, to 8000";
}

TEST_F(ForwardResolutionTest, MissingTargetBacksOffWithKubectlsReason) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  launcher_.last()->printError("Error from server (NotFound): deployments.apps \"web\" not found");
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "NotFound: deployments.apps \"web\" not found");
  dispatcher_.advance(milliseconds(500));
  EXPECT_EQ(launcher_.last()->spec.argv[2], "deployment/web") << "asks for the object again";
}

TEST_F(ForwardResolutionTest, NoRunningPodBacksOffAndSaysWhatItSaw) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  answer(kDeployment);
  answer("web-old\t2026-11-24T10:00:00Z\tterminating\tRunning\tTrue\t\n");
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->lastError(), "no running pod for deployment/web (web-old Terminating)");
}

TEST_F(ForwardResolutionTest, AHungApiServerDuringResolutionHitsTheStartDeadline) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  dispatcher_.advance(forward->spec().start_timeout);
  EXPECT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(forward->lastError(), HasSubstr("no answer from the API server"));
  EXPECT_TRUE(launcher_.children()[0]->destroyed) << "the hung kubectl get is killed";
}

TEST_F(ForwardResolutionTest, StopDuringResolutionAbandonsIt) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  forward->stop();
  answer(kDeployment);  // a late answer from the abandoned kubectl changes nothing
  EXPECT_EQ(forward->state(), ForwardState::kStopped);
  EXPECT_EQ(launcher_.spawnCount(), 1u);
}

// Without held ports there is nothing to switch between: the run on a terminating pod is replaced
// at once (forward_switch_test.cc has the make-before-break of held ports).
TEST_F(ForwardResolutionTest, MovesOffAPodAsSoonAsItStartsTerminatingWhenKubectlBindsThePorts) {
  PodWatchHub hub(dispatcher_, launcher_, [] { return 0.0; });
  context_.pod_watches = &hub;
  ForwardSpec spec = deploymentSpec();
  spec.hold_port = false;
  auto forward = makeForward(spec);
  forward->activate();
  auto watch = launcher_.children()[0];
  ASSERT_THAT(watch->spec.argv, Contains("--watch"));
  answer(kDeployment);
  pastTheListingWait();  // the watch never lists here: kubectl tells
  answer(kPods);
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(forward->pod(), "web-new");
  const size_t spawned = launcher_.spawnCount();

  watch->print("MODIFIED   web-other   terminating   Running   ready=True   labels=app=web,");
  EXPECT_EQ(launcher_.spawnCount(), spawned) << "not our pod";
  watch->print("MODIFIED   web-new   terminating   Running   ready=True   labels=app=web,");
  dispatcher_.runPosted();
  pastTheListingWait();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  ASSERT_EQ(launcher_.spawnCount(), spawned + 1);
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pods") << "looks for another pod at once";
  EXPECT_EQ(dispatcher_.enabledTimers(), 1u) << "only the start deadline: no backoff";
  forward->shutdown();
  dispatcher_.runPosted();
}

TEST_F(ForwardResolutionTest, AForwardWaitingForAPodStartsWhenAMatchingOneIsReady) {
  PodWatchHub hub(dispatcher_, launcher_, [] { return 0.0; });
  context_.pod_watches = &hub;
  ForwardSpec spec = deploymentSpec();
  spec.backoff.initial = std::chrono::seconds(30);
  auto forward = makeForward(spec);
  forward->activate();
  auto watch = launcher_.children()[0];
  answer(kDeployment);
  pastTheListingWait();
  answer("web-old\t2026-11-24T10:00:00Z\tterminating\tRunning\tTrue\t\n");
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  const size_t spawned = launcher_.spawnCount();

  watch->print("ADDED   web-next   live   Pending   ready=   labels=app=web,");
  watch->print("MODIFIED   api-1   live   Running   ready=True   labels=app=api,");
  EXPECT_EQ(launcher_.spawnCount(), spawned) << "not running yet, or not one of ours";
  watch->print("MODIFIED   web-next   live   Running   ready=True   labels=app=web,");
  pastTheListingWait();
  EXPECT_EQ(forward->state(), ForwardState::kStarting);
  ASSERT_EQ(launcher_.spawnCount(), spawned + 1);
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pods") << "the selector was kept";
  forward->shutdown();
  dispatcher_.runPosted();
}

TEST_F(ForwardResolutionTest, WaitingForAPodIsNotARestartOnlyANewKubectlIs) {
  ForwardSpec spec = deploymentSpec();
  auto forward = makeForward(spec);
  forward->activate();
  answer(kDeployment);
  answer("web-old\t2026-11-24T10:00:00Z\tterminating\tRunning\tTrue\t\n");
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  dispatcher_.advance(milliseconds(500));
  answer("web-old\t2026-11-24T10:00:00Z\tterminating\tRunning\tTrue\t\n");
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->restarts(), 0) << "no kubectl port-forward has run yet";

  dispatcher_.advance(milliseconds(1000));
  answer(kPods);
  printForwarding(*launcher_.last(), spec);
  EXPECT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(forward->restarts(), 0) << "the first kubectl port-forward";

  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  answer(kPods);  // a fresh look: web-new is still there, so this was a failure
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_EQ(forward->restarts(), 0) << "looking at the pods starts no kubectl port-forward";
  dispatcher_.advance(milliseconds(2000));
  answer(kPods);
  EXPECT_EQ(forward->restarts(), 1);
}

TEST_F(ForwardResolutionTest, AWatchThatKnowsThePodsSavesTheKubectlRoundTrip) {
  PodWatchHub hub(dispatcher_, launcher_, [] { return 0.0; });
  context_.pod_watches = &hub;
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  auto watch = launcher_.children()[0];
  watch->print(
      "ADDED  web-new  live  Running  ready=True  labels=app=web,  created=2026-11-24T10:05:00Z  "
      "ports=http=8000,");
  watch->print(
      "ADDED  web-next  live  Running  ready=True  labels=app=web,  created=2026-11-24T10:06:00Z  "
      "ports=http=8000,");
  watch->print(
      "ADDED  api-1  live  Running  ready=True  labels=app=api,  created=2026-11-24T10:07:00Z  "
      "ports=");
  listed(*watch);
  answer(kDeployment);
  EXPECT_EQ(launcher_.last()->spec.argv[1], "port-forward") << "no `kubectl get pods` either";
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pod/web-next") << "the newest live pod";
  printForwarding(*launcher_.last(), forward->spec());
  const size_t spawned = launcher_.spawnCount();

  watch->print(
      "MODIFIED  web-next  terminating  Running  ready=False  labels=app=web,  "
      "created=2026-11-24T10:06:00Z  ports=http=8000,");
  dispatcher_.runPosted();
  ASSERT_EQ(launcher_.spawnCount(), spawned + 1);
  const auto& argv = launcher_.last()->spec.argv;
  EXPECT_EQ(argv[1], "port-forward") << "straight to kubectl port-forward";
  EXPECT_EQ(argv[2], "pod/web-new") << "the newest live pod of the selector, not api-1";
  forward->shutdown();
  dispatcher_.runPosted();
}

TEST_F(ForwardResolutionTest, APodThatRunsButIsNotReadyIsForwardedToAndSaysSo) {
  PodWatchHub hub(dispatcher_, launcher_, [] { return 0.0; });
  context_.pod_watches = &hub;
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  auto watch = launcher_.children()[0];
  answer(kDeployment);
  pastTheListingWait();
  answer("web-x\t2026-11-24T10:00:00Z\tlive\tRunning\tFalse\thttp=8000,\n");
  ASSERT_EQ(forward->pod(), "web-x") << "the last resort: Running, not Ready";
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(forward->note(), "pod web-x is not Ready; forwarding anyway");
  std::vector<std::string> notes;
  for (const LogLine& line : forward->logs().tail(0)) {
    notes.push_back(line.text);
  }
  EXPECT_THAT(notes, Contains("pod web-x is not Ready; forwarding anyway"));

  watch->print("MODIFIED   web-x   live   Running   ready=True   labels=app=web,");
  dispatcher_.runPosted();
  EXPECT_EQ(forward->note(), "") << "Ready now";
  forward->shutdown();
  dispatcher_.runPosted();
}

TEST_F(ForwardResolutionTest, AReadyPodHasNoNote) {
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  answer(kDeployment);
  answer(kPods);
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(forward->note(), "");
}

TEST_F(ForwardResolutionTest, KubectlMissingFailsForGood) {
  launcher_.failNextSpawn(absl::NotFoundError("kubectl: program not found on PATH (/usr/bin)"));
  auto forward = makeForward(deploymentSpec());
  forward->activate();
  EXPECT_EQ(forward->state(), ForwardState::kFailed);
}

}  // namespace
}  // namespace pfd::core
