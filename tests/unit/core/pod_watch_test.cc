#include "daemon/core/pod_watch.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_cluster_checker.h"
#include "tests/fakes/fake_process_launcher.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using ::testing::Contains;
using ::testing::ElementsAre;

class PodWatchTest : public ::testing::Test {
 protected:
  static ForwardSpec spec(const std::string& ns) {
    ForwardSpec result{.name = "web", .target = "deployment/web", .ports = {{8080, "80"}}};
    result.namespace_name = ns;
    return result;
  }

  testing::SimulatedDispatcher dispatcher_;
  testing::FakeProcessLauncher launcher_{dispatcher_};
  PodWatchHub hub_{dispatcher_, launcher_, [] { return 0.0; }};
};

TEST_F(PodWatchTest, OneWatchPerNamespaceTellsEveryForwardWhichPodsLeave) {
  std::vector<std::string> a_heard;
  std::vector<std::string> b_heard;
  auto leaving_into = [](std::vector<std::string>& heard) {
    return [&heard](const PodEvent& event) {
      if (event.leaving()) {
        heard.push_back(event.name);
      }
    };
  };
  auto a = hub_.registerForward(spec("shop"), leaving_into(a_heard));
  auto b = hub_.registerForward(spec("shop"), leaving_into(b_heard));
  ASSERT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_THAT(launcher_.last()->spec.argv, Contains("--watch"));
  EXPECT_THAT(launcher_.last()->spec.argv, Contains("shop"));

  launcher_.last()->print("ADDED      web-1   live");
  launcher_.last()->print("MODIFIED   web-1   terminating");
  launcher_.last()->print("ADDED      web-2   live");
  launcher_.last()->print("DELETED    web-1   terminating");
  EXPECT_THAT(a_heard, ElementsAre("web-1", "web-1"));
  EXPECT_EQ(a_heard, b_heard);

  auto other = hub_.registerForward(spec("default"), [](const PodEvent&) {});
  EXPECT_EQ(launcher_.spawnCount(), 2u) << "another namespace, another watch";
}

TEST_F(PodWatchTest, ARestartedWatchBacksOff) {
  auto registration = hub_.registerForward(spec("shop"), [](const PodEvent&) {});
  launcher_.last()->exit(1);
  dispatcher_.advance(milliseconds(999));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  launcher_.last()->exit(1);
  dispatcher_.advance(milliseconds(1999));
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  dispatcher_.advance(milliseconds(1));
  EXPECT_EQ(launcher_.spawnCount(), 3u);
}

TEST_F(PodWatchTest, TheWatchStopsWithItsLastForward) {
  auto a = hub_.registerForward(spec("shop"), [](const PodEvent&) {});
  auto b = hub_.registerForward(spec("shop"), [](const PodEvent&) {});
  a.reset();
  dispatcher_.runPosted();
  EXPECT_FALSE(launcher_.last()->destroyed);
  b.reset();
  dispatcher_.runPosted();
  EXPECT_TRUE(launcher_.last()->destroyed) << "its kubectl is killed";
}

// kubectl -v=6's account of the watch request (1.33 logs it structured, older ones plain).
constexpr const char* kWatchAnswered =
    "I1203 10:00:00.000000 1 round_trippers.go:553] GET "
    "https://127.0.0.1:6443/api/v1/namespaces/shop/pods?resourceVersion=7&watch=true 200 OK in 0 "
    "milliseconds";
constexpr const char* kWatchAnsweredStructured =
    "I1203 10:00:00.000000 1 round_trippers.go:632] \"Response\" verb=\"GET\" "
    "url=\"https://127.0.0.1:6443/api/v1/namespaces/shop/pods?resourceVersion=7&watch=true\" "
    "status=\"200 OK\" milliseconds=0";

TEST_F(PodWatchTest, ItsPodsAreTrustedOnlyOnceTheWatchRequestIsAnswered) {
  auto registration = hub_.registerForward(spec("shop"), [](const PodEvent&) {});
  EXPECT_THAT(launcher_.last()->spec.argv, Contains("-v=6"));
  launcher_.last()->print("ADDED  web-1  live  Running  ready=True  labels=app=web,");
  dispatcher_.advance(milliseconds(60000));
  EXPECT_FALSE(hub_.knownPods(spec("shop"), "app=web").has_value())
      << "a minute of uptime says nothing: the list may not be complete";
  launcher_.last()->printError(
      "I1203 10:00:00.000000 1 round_trippers.go:553] GET "
      "https://127.0.0.1:6443/api/v1/namespaces/shop/pods?limit=500 200 OK in 3 milliseconds");
  dispatcher_.runPosted();
  EXPECT_FALSE(hub_.knownPods(spec("shop"), "app=web").has_value()) << "the list, not the watch";
  launcher_.last()->printError(kWatchAnswered);
  dispatcher_.runPosted();
  auto pods = hub_.knownPods(spec("shop"), "app=web");
  ASSERT_TRUE(pods.has_value());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0].name, "web-1");

  launcher_.last()->exit(1);  // the watch restarts against a slow API server
  dispatcher_.runPosted();
  EXPECT_FALSE(hub_.knownPods(spec("shop"), "app=web").has_value());
  dispatcher_.advance(milliseconds(1000));
  ASSERT_EQ(launcher_.spawnCount(), 2u);
  dispatcher_.advance(milliseconds(30000));
  EXPECT_FALSE(hub_.knownPods(spec("shop"), "app=web").has_value())
      << "no stale table, no empty one: kubectl get pods tells";
  launcher_.last()->printError(kWatchAnsweredStructured);
  dispatcher_.runPosted();
  pods = hub_.knownPods(spec("shop"), "app=web");
  ASSERT_TRUE(pods.has_value());
  EXPECT_TRUE(pods->empty()) << "the restarted watch listed no pod";
}

TEST_F(PodWatchTest, ResolutionsWaitForAWatchThatIsListing) {
  auto registration = hub_.registerForward(spec("shop"), [](const PodEvent&) {});
  int told = 0;
  auto first = hub_.whenListed(spec("shop"), [&] { told++; });
  auto second = hub_.whenListed(spec("shop"), [&] { told += 10; });
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(hub_.whenListed(spec("default"), [] {}), nullptr) << "no watch there";
  second.reset();
  launcher_.last()->printError(kWatchAnswered);
  dispatcher_.runPosted();
  EXPECT_EQ(told, 1);
  EXPECT_EQ(hub_.whenListed(spec("shop"), [] {}), nullptr) << "listed: knownPods answers";

  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  EXPECT_EQ(hub_.whenListed(spec("shop"), [] {}), nullptr) << "waiting on a backoff";
  dispatcher_.advance(milliseconds(1000));
  auto third = hub_.whenListed(spec("shop"), [&] { told++; });
  ASSERT_NE(third, nullptr);
  launcher_.last()->exit(1);  // it gave up before listing: the waiter asks kubectl instead
  dispatcher_.runPosted();
  EXPECT_EQ(told, 2);
}

TEST_F(PodWatchTest, AWatchTheApiServerFailedWaitsForItsClusterAndStartsWhenItAnswers) {
  testing::FakeClusterChecker checker;
  ClusterHub clusters(dispatcher_, checker, ClusterHub::Options{});
  PodWatchHub hub(dispatcher_, launcher_, [] { return 0.0; });
  hub.setClusters(&clusters);
  auto registration = hub.registerForward(spec("shop"), [](const PodEvent&) {});
  launcher_.last()->printError(kWatchAnswered);
  dispatcher_.runPosted();
  ASSERT_TRUE(hub.knownPods(spec("shop"), "app=web").has_value());
  launcher_.last()->printError(
      "The connection to the server 127.0.0.1:6443 was refused - did "
      "you specify the right host or port?");
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  ASSERT_EQ(checker.inFlight(), 1u) << "the watch's failure is the cluster's: it is checked";
  checker.answer({.up = false, .reason = "connection refused"});
  dispatcher_.runPosted();
  for (int i = 0; i < 120; ++i) {
    dispatcher_.advance(milliseconds(250));
    checker.answer({.up = false, .reason = "connection refused"});
    dispatcher_.runPosted();
  }
  EXPECT_EQ(launcher_.spawnCount(), 1u) << "no watch kubectl while the server is away";
  dispatcher_.advance(milliseconds(250));
  checker.answer({.up = true});
  EXPECT_EQ(launcher_.spawnCount(), 2u) << "at once when it answers";
  EXPECT_NE(hub.whenListed(spec("shop"), [] {}), nullptr);
}

TEST(PodEventTest, ParsesEveryField) {
  PodEvent event;
  ASSERT_TRUE(parsePodEvent(
      "MODIFIED   web-1   live   Running   ready=True   labels=app=web,pod-template-hash=abc,",
      &event));
  EXPECT_EQ(event.type, "MODIFIED");
  EXPECT_EQ(event.name, "web-1");
  EXPECT_FALSE(event.leaving());
  EXPECT_TRUE(event.running_and_ready);
  EXPECT_EQ(event.labels.at("app"), "web");
  EXPECT_EQ(event.labels.at("pod-template-hash"), "abc");

  ASSERT_TRUE(parsePodEvent("ADDED web-2 live Pending ready= labels=app=web,", &event));
  EXPECT_FALSE(event.running_and_ready);
  ASSERT_TRUE(parsePodEvent("DELETED web-1 terminating Running ready=False labels=", &event));
  EXPECT_TRUE(event.leaving());
  EXPECT_TRUE(event.labels.empty());
  EXPECT_FALSE(parsePodEvent("garbage", &event));
}

}  // namespace
}  // namespace pfd::core
