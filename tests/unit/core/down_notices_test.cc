// Desktop notifications of forwards that stay down: when they are said (and when not), what they
// say, the "back" that replaces the "down", and one notification for a cluster's outage.
#include "daemon/core/down_notices.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_notifier.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr NotifySpec kAfterFiveSeconds{.enabled = true, .after = seconds(5)};

class DownNoticesTest : public ForwardTestBase {
 protected:
  DownNoticesTest() { supervisor_.addListener(&notices_); }
  ~DownNoticesTest() override { supervisor_.removeListener(&notices_); }

  static ForwardSpec spec(const std::string& name, uint16_t port) {
    ForwardSpec result = kubectlSpec();
    result.name = name;
    result.target = "pod/" + name;
    result.ports = {{port, "80"}};
    result.context = "kind-dev";
    return result;
  }

  // Starts `specs` with notify on for each (notifyAfter 5s) and makes them READY.
  void startReady(const std::vector<ForwardSpec>& specs) {
    supervisor_.reconcile(specs);
    std::map<std::string, NotifySpec> settings;
    for (const ForwardSpec& each : specs) {
      settings[each.name] = kAfterFiveSeconds;
    }
    notices_.configure(settings);
    for (size_t i = 0; i < specs.size(); ++i) {
      printForwarding(*launcher_.children()[i], specs[i]);
    }
    dispatcher_.runPosted();
  }

  Forward& forward(const std::string& name) {
    auto found = supervisor_.find({name}, false);
    EXPECT_TRUE(found.ok());
    return *found->front();
  }

  // The serving kubectl of `name` dies; its next ones start but never forward (STARTING).
  void breakForward(const std::string& name) {
    const pid_t pid = forward(name).pid();
    for (const auto& child : launcher_.children()) {
      if (child->pid == pid) {
        child->printError("error: an error occurred forwarding 8080 -> 80: connection reset");
        child->exit(1);
      }
    }
    dispatcher_.runPosted();
    ASSERT_NE(forward(name).state(), ForwardState::kReady);
  }

  // The last kubectl of `name` forwards again (started anew first if it is between runs).
  void heal(const std::string& name) {
    Forward& healed = forward(name);
    if (healed.pid() == 0) {
      dispatcher_.advance(milliseconds(dispatcher_.nextTimerIn()));
    }
    for (const auto& child : launcher_.children()) {
      if (child->pid == healed.pid() && child->alive) {
        printForwarding(*child, healed.spec());
      }
    }
    dispatcher_.runPosted();
    ASSERT_EQ(healed.state(), ForwardState::kReady);
  }

  Supervisor supervisor_{context_};
  testing::FakeNotifier notifier_;
  DownNotices notices_{dispatcher_, notifier_, supervisor_};
};

TEST_F(DownNoticesTest, DownLongerThanNotifyAfterIsOneNotificationWithTheReason) {
  startReady({spec("web", 8080)});
  breakForward("web");
  dispatcher_.advance(milliseconds(4999));
  EXPECT_THAT(notifier_.shown, IsEmpty());
  dispatcher_.advance(DownNotices::kGatherWindow + milliseconds(1));
  ASSERT_THAT(notifier_.summaries(), ElementsAre("pfd: web is down"));
  EXPECT_THAT(notifier_.shown[0].notification.body, HasSubstr("connection reset"));
  EXPECT_EQ(notifier_.shown[0].notification.urgency, Notification::Urgency::kCritical);
  EXPECT_EQ(notifier_.shown[0].replaces, 0u);

  dispatcher_.advance(seconds(20));  // restarts, a start timeout, backoffs: still the one spell
  EXPECT_EQ(notifier_.shown.size(), 1u);
}

TEST_F(DownNoticesTest, BackReplacesTheDownNotificationAndSaysHowLongItWasDown) {
  startReady({spec("web", 8080)});
  breakForward("web");
  dispatcher_.advance(seconds(12));
  heal("web");
  ASSERT_THAT(notifier_.summaries(), ElementsAre("pfd: web is down", "pfd: web is back"));
  const testing::FakeNotifier::Shown& back = notifier_.shown[1];
  EXPECT_EQ(back.replaces, notifier_.shown[0].id);
  EXPECT_NE(back.replaces, 0u);
  EXPECT_EQ(back.notification.body, "down for 12s");
  EXPECT_EQ(back.notification.urgency, Notification::Urgency::kNormal);

  // A second outage is a new spell: down (in place of the "back": it is the same forward's), back.
  breakForward("web");
  dispatcher_.advance(seconds(7));
  heal("web");
  EXPECT_EQ(notifier_.shown.size(), 4u);
}

TEST_F(DownNoticesTest, AFlapShorterThanNotifyAfterSaysNothing) {
  startReady({spec("web", 8080)});
  for (int i = 0; i < 3; ++i) {
    breakForward("web");
    dispatcher_.advance(seconds(3));
    heal("web");
  }
  dispatcher_.advance(seconds(60));
  EXPECT_THAT(notifier_.shown, IsEmpty());
}

TEST_F(DownNoticesTest, AForwardThatNeverBecomesReadyIsDownToo) {
  supervisor_.reconcile({spec("web", 8080)});
  notices_.configure({{"web", kAfterFiveSeconds}});
  dispatcher_.advance(seconds(6));
  ASSERT_THAT(notifier_.summaries(), ElementsAre("pfd: web is down"));
  EXPECT_THAT(notifier_.shown[0].notification.body, HasSubstr("not ready after 5s: started pid"));
}

TEST_F(DownNoticesTest, StoppedByTheUserSaysNothing) {
  startReady({spec("web", 8080)});
  breakForward("web");
  dispatcher_.advance(seconds(2));
  forward("web").stop();
  dispatcher_.advance(seconds(60));
  EXPECT_THAT(notifier_.shown, IsEmpty());
}

TEST_F(DownNoticesTest, DisabledAndIdleForwardsAreNotDown) {
  ForwardSpec off = spec("off", 8081);
  off.enabled = false;
  ForwardSpec lazy = spec("lazy", 8082);
  lazy.start = ForwardSpec::Start::kOnDemand;
  supervisor_.reconcile({off, lazy});
  notices_.configure({{"off", kAfterFiveSeconds}, {"lazy", kAfterFiveSeconds}});
  ASSERT_EQ(forward("lazy").state(), ForwardState::kIdle);
  dispatcher_.advance(seconds(60));
  EXPECT_THAT(notifier_.shown, IsEmpty());
}

TEST_F(DownNoticesTest, NotifyOffSaysNothing) {
  supervisor_.reconcile({spec("web", 8080)});
  notices_.configure({});
  printForwarding(*launcher_.last(), spec("web", 8080));
  breakForward("web");
  dispatcher_.advance(seconds(20));
  EXPECT_THAT(notifier_.shown, IsEmpty());
}

TEST_F(DownNoticesTest, RemovedByAReloadSaysNothing) {
  startReady({spec("web", 8080), spec("api", 8081)});
  breakForward("web");
  dispatcher_.advance(seconds(2));
  supervisor_.reconcile({spec("api", 8081)});
  notices_.configure({{"api", kAfterFiveSeconds}});
  dispatcher_.advance(seconds(60));
  EXPECT_THAT(notifier_.shown, IsEmpty());
}

TEST_F(DownNoticesTest, AReloadThatTurnsNotifyOffForgetsAnAnnouncedForwardSilently) {
  startReady({spec("web", 8080)});
  breakForward("web");
  dispatcher_.advance(seconds(7));
  ASSERT_EQ(notifier_.shown.size(), 1u);
  notices_.configure({});
  heal("web");
  EXPECT_EQ(notifier_.shown.size(), 1u);
  EXPECT_EQ(launcher_.spawnCount(), 2u) << "a notify setting never restarts a forward";
}

TEST_F(DownNoticesTest, AShorterNotifyAfterOnReloadCountsFromWhenItWentDown) {
  startReady({spec("web", 8080)});
  notices_.configure({{"web", {.enabled = true, .after = seconds(60)}}});
  breakForward("web");
  dispatcher_.advance(seconds(10));
  EXPECT_THAT(notifier_.shown, IsEmpty());
  notices_.configure({{"web", kAfterFiveSeconds}});
  dispatcher_.advance(DownNotices::kGatherWindow);
  EXPECT_THAT(notifier_.summaries(), ElementsAre("pfd: web is down"));
}

TEST_F(DownNoticesTest, TurningNotifyOnForADownForwardCountsFromNow) {
  supervisor_.reconcile({spec("web", 8080)});
  notices_.configure({});
  dispatcher_.advance(seconds(20));  // never ready
  notices_.configure({{"web", kAfterFiveSeconds}});
  dispatcher_.advance(seconds(5));
  EXPECT_THAT(notifier_.shown, IsEmpty());
  dispatcher_.advance(DownNotices::kGatherWindow);
  EXPECT_THAT(notifier_.summaries(), ElementsAre("pfd: web is down"));
}

TEST_F(DownNoticesTest, AClusterOutageIsOneNotificationAndOneBack) {
  std::vector<ForwardSpec> specs;
  for (int i = 0; i < 20; ++i) {
    specs.push_back(spec("f" + std::to_string(i + 10), static_cast<uint16_t>(8080 + i)));
  }
  startReady(specs);
  for (const ForwardSpec& each : specs) {
    breakForward(each.name);
    dispatcher_.advance(milliseconds(20));  // kubectl notices the lost server one by one
  }
  dispatcher_.advance(seconds(7));
  ASSERT_THAT(notifier_.summaries(), ElementsAre("pfd: 20 forwards of context kind-dev are down"));
  EXPECT_THAT(notifier_.shown[0].notification.body,
              HasSubstr("connection reset\nf10, f11, f12, f13, f14 and 15 more"));

  for (const ForwardSpec& each : specs) {
    heal(each.name);
  }
  ASSERT_EQ(notifier_.shown.size(), 2u) << "one back, when the last of them is";
  EXPECT_EQ(notifier_.shown[1].notification.summary,
            "pfd: 20 forwards of context kind-dev are back");
  EXPECT_EQ(notifier_.shown[1].replaces, notifier_.shown[0].id);
}

TEST_F(DownNoticesTest, ALaterForwardOfTheClusterJoinsTheOpenNotification) {
  startReady({spec("web", 8080), spec("api", 8081)});
  breakForward("web");
  dispatcher_.advance(seconds(7));
  breakForward("api");
  dispatcher_.advance(seconds(7));
  ASSERT_THAT(notifier_.summaries(),
              ElementsAre("pfd: web is down", "pfd: 2 forwards of context kind-dev are down"));
  EXPECT_EQ(notifier_.shown[1].replaces, notifier_.shown[0].id);
  heal("web");
  EXPECT_EQ(notifier_.shown.size(), 2u) << "api is still down";
  heal("api");
  ASSERT_EQ(notifier_.shown.size(), 3u);
  EXPECT_EQ(notifier_.shown[2].notification.summary,
            "pfd: 2 forwards of context kind-dev are back");
  EXPECT_EQ(notifier_.shown[2].notification.body, "down for 14s: api, web");
}

TEST_F(DownNoticesTest, ForwardsOfOtherClustersAreToldApart) {
  ForwardSpec other = spec("api", 8081);
  other.context = "prod";
  startReady({spec("web", 8080), other});
  breakForward("web");
  breakForward("api");
  dispatcher_.advance(seconds(7));
  EXPECT_THAT(notifier_.summaries(), UnorderedElementsAre("pfd: api is down", "pfd: web is down"));
}

TEST_F(DownNoticesTest, WithoutADesktopTheBackIsANewNotificationAndNothingElseChanges) {
  notifier_.desktop = false;  // no session bus: no ids come back
  startReady({spec("web", 8080)});
  breakForward("web");
  dispatcher_.advance(seconds(7));
  heal("web");
  ASSERT_EQ(notifier_.shown.size(), 2u);
  EXPECT_EQ(notifier_.shown[1].replaces, 0u);
  EXPECT_EQ(forward("web").state(), ForwardState::kReady);
}

}  // namespace
}  // namespace pfd::core
