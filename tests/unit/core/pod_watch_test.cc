#include "daemon/core/pod_watch.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
