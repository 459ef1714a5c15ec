#include "daemon/core/heal_times.h"

#include <chrono>

#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;

// Hands every state change to HealTimes too, as the supervisor does with its listeners.
class HealObserver : public RecordingObserver {
 public:
  explicit HealObserver(HealTimes& heals) : heals_(heals) {}
  void onStateChanged(const Forward& forward, ForwardState previous,
                      const std::string& reason) override {
    RecordingObserver::onStateChanged(forward, previous, reason);
    heals_.onStateChanged(forward, previous, reason);
  }

 private:
  HealTimes& heals_;
};

class HealTimesTest : public ForwardTestBase {
 protected:
  std::unique_ptr<Forward> start() {
    auto forward = std::make_unique<Forward>(kubectlSpec(), context_, heal_observer_);
    forward->activate();
    dispatcher_.advance(milliseconds(400));
    printForwarding(*launcher_.last(), forward->spec());
    EXPECT_EQ(forward->state(), ForwardState::kReady);
    return forward;
  }

  HealTimes heals_{dispatcher_};
  HealObserver heal_observer_{heals_};
};

TEST_F(HealTimesTest, AFirstStartIsNotAHeal) {
  auto forward = start();
  EXPECT_EQ(heals_.of("web").count, 0u);
}

TEST_F(HealTimesTest, TimesFromLeavingReadyThroughBackoffToReadyAgain) {
  auto forward = start();
  dispatcher_.advance(milliseconds(5000));  // a stable run: the next failure retries at once
  launcher_.last()->exit(1);                // retried at once: STARTING
  dispatcher_.runPosted();
  dispatcher_.advance(milliseconds(300));
  launcher_.last()->exit(1);  // a second failure in a row backs off
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  dispatcher_.advance(milliseconds(dispatcher_.nextTimerIn()));
  dispatcher_.advance(milliseconds(200));
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(forward->state(), ForwardState::kReady);

  const HealHistogram heals = heals_.of("web");
  EXPECT_EQ(heals.count, 1u) << "one heal, however many runs it took";
  EXPECT_GE(heals.sum_seconds, 0.5);
  EXPECT_LT(heals.sum_seconds, 5.0);
}

TEST_F(HealTimesTest, ARestartIsTimedUntilReady) {
  auto forward = start();
  forward->restart();
  dispatcher_.runPosted();
  dispatcher_.advance(milliseconds(250));
  printForwarding(*launcher_.last(), forward->spec());
  const HealHistogram heals = heals_.of("web");
  ASSERT_EQ(heals.count, 1u);
  EXPECT_DOUBLE_EQ(heals.sum_seconds, 0.25);
  EXPECT_EQ(heals.buckets[2], 1u) << "0.25 s falls in the le=0.25 bucket";
}

TEST_F(HealTimesTest, AStopEndsTheHealUnmeasured) {
  auto forward = start();
  forward->restart();
  dispatcher_.runPosted();
  forward->stop();
  dispatcher_.runPosted();
  forward->start();
  dispatcher_.advance(milliseconds(100));
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(heals_.of("web").count, 0u);
}

TEST_F(HealTimesTest, RetainOnlyForgetsRemovedForwards) {
  auto forward = start();
  forward->restart();
  dispatcher_.runPosted();
  printForwarding(*launcher_.last(), forward->spec());
  ASSERT_EQ(heals_.of("web").count, 1u);
  heals_.retainOnly({"api"});
  EXPECT_EQ(heals_.of("web").count, 0u);
}

}  // namespace
}  // namespace pfd::core
