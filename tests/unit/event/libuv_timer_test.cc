#include "daemon/event/libuv_timer.h"

#include <memory>
#include <string>
#include <vector>

#include "daemon/event/libuv_dispatcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::event {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

// Timers due at the same loop time fire in the order they were enabled, so a timer enabled
// after another for the same or a longer delay is a fence: once it fires, the first one has
// fired too, or never will.
class LibuvTimerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<LibuvDispatcherPtr> dispatcher = LibuvDispatcher::create();
    ASSERT_OK(dispatcher);
    dispatcher_ = *std::move(dispatcher);
    watchdog_ = dispatcher_->createTimer([this] {
      ADD_FAILURE() << "the loop did not exit within 30 s";
      dispatcher_->exit();
    });
  }

  void run() {
    watchdog_->enable(std::chrono::seconds(30));
    dispatcher_->run();
    watchdog_->disable();
  }

  TimerPtr exitTimer() {
    return dispatcher_->createTimer([this] { dispatcher_->exit(); });
  }

  LibuvDispatcherPtr dispatcher_;
  TimerPtr watchdog_;
};

TEST_F(LibuvTimerTest, EnabledTimerFiresOnceAndIsThenDisabled) {
  int fired = 0;
  TimerPtr timer = dispatcher_->createTimer([&] { ++fired; });
  timer->enable(milliseconds(1));
  EXPECT_TRUE(timer->enabled());
  TimerPtr fence = exitTimer();
  fence->enable(milliseconds(5));
  run();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer->enabled());
}

TEST_F(LibuvTimerTest, TimersFireInOrderOfTheirDeadlines) {
  std::vector<std::string> order;
  TimerPtr late = dispatcher_->createTimer([&] {
    order.push_back("late");
    dispatcher_->exit();
  });
  TimerPtr early = dispatcher_->createTimer([&] { order.push_back("early"); });
  late->enable(milliseconds(20));
  early->enable(milliseconds(1));
  run();
  EXPECT_THAT(order, ElementsAre("early", "late"));
}

TEST_F(LibuvTimerTest, EnablingAnEnabledTimerReArmsItWithTheNewDelay) {
  int fired = 0;
  TimerPtr timer = dispatcher_->createTimer([&] {
    ++fired;
    dispatcher_->exit();
  });
  timer->enable(std::chrono::hours(1));
  timer->enable(milliseconds(1));
  run();  // returns only if the second enable() replaced the first
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer->enabled());
}

TEST_F(LibuvTimerTest, ReArmingPushesTheDeadlineBack) {
  std::vector<std::string> order;
  TimerPtr timer = dispatcher_->createTimer([&] {
    order.push_back("re-armed");
    dispatcher_->exit();
  });
  TimerPtr fence = dispatcher_->createTimer([&] { order.push_back("fence"); });
  timer->enable(milliseconds(0));
  fence->enable(milliseconds(1));
  timer->enable(milliseconds(20));
  run();
  EXPECT_THAT(order, ElementsAre("fence", "re-armed"));
}

TEST_F(LibuvTimerTest, TimerEnabledFromItsOwnCallbackFiresAgain) {
  int fired = 0;
  TimerPtr timer;
  timer = dispatcher_->createTimer([&] {
    if (++fired < 3) {
      timer->enable(milliseconds(1));
    } else {
      dispatcher_->exit();
    }
  });
  timer->enable(milliseconds(1));
  run();
  EXPECT_EQ(fired, 3);
}

TEST_F(LibuvTimerTest, DisabledTimerNeverFires) {
  bool fired = false;
  TimerPtr timer = dispatcher_->createTimer([&] { fired = true; });
  timer->enable(milliseconds(0));
  timer->disable();
  EXPECT_FALSE(timer->enabled());
  TimerPtr fence = exitTimer();
  fence->enable(milliseconds(1));
  run();
  EXPECT_FALSE(fired);
}

TEST_F(LibuvTimerTest, DestroyedTimerNeverFires) {
  bool fired = false;
  TimerPtr timer = dispatcher_->createTimer([&] { fired = true; });
  timer->enable(milliseconds(0));
  timer.reset();
  TimerPtr fence = exitTimer();
  fence->enable(milliseconds(1));
  run();
  EXPECT_FALSE(fired);
}

TEST_F(LibuvTimerTest, TimerDestroyedByAnotherTimerDueAtTheSameTimeNeverFires) {
  bool victim_fired = false;
  TimerPtr victim = dispatcher_->createTimer([&] { victim_fired = true; });
  TimerPtr killer = dispatcher_->createTimer([&] { victim.reset(); });
  killer->enable(milliseconds(0));
  victim->enable(milliseconds(0));
  TimerPtr fence = exitTimer();
  fence->enable(milliseconds(1));
  run();
  EXPECT_FALSE(victim_fired);
}

TEST_F(LibuvTimerTest, TimerMayDestroyItselfInItsCallback) {
  auto owned = std::make_shared<int>(7);
  int seen = 0;
  TimerPtr timer;
  timer = dispatcher_->createTimer([&, owned] {
    timer.reset();
    seen = *owned;  // the callback's captures are still alive after the reset
    dispatcher_->exit();
  });
  timer->enable(milliseconds(0));
  run();
  EXPECT_EQ(seen, 7);
  EXPECT_EQ(timer, nullptr);
}

// What a Forward relies on when it computes `retry_at = monotonicTime() + delay`: the loop's
// clock and its timers agree, so the timer never fires before that moment.
TEST_F(LibuvTimerTest, TimerFiresNoEarlierThanItsDelayOnTheDispatchersClock) {
  const milliseconds delay(20);
  MonotonicTime enabled_at;
  MonotonicTime fired_at;
  TimerPtr timer = dispatcher_->createTimer([&] {
    fired_at = dispatcher_->monotonicTime();
    dispatcher_->exit();
  });
  dispatcher_->post([&] {
    enabled_at = dispatcher_->monotonicTime();
    timer->enable(delay);
  });
  run();
  EXPECT_GE(fired_at - enabled_at, delay);
}

TEST_F(LibuvTimerTest, NegativeDelayFiresOnTheNextIteration) {
  bool fired = false;
  TimerPtr timer = dispatcher_->createTimer([&] {
    fired = true;
    dispatcher_->exit();
  });
  timer->enable(milliseconds(-5));
  run();
  EXPECT_TRUE(fired);
}

TEST_F(LibuvTimerTest, TimerThatOutlivesItsDispatcherIsInert) {
  bool fired = false;
  TimerPtr timer = dispatcher_->createTimer([&] { fired = true; });
  timer->enable(milliseconds(0));
  watchdog_.reset();
  dispatcher_.reset();
  EXPECT_FALSE(timer->enabled());
  timer->enable(milliseconds(0));
  timer->disable();
  timer.reset();  // ASan reports a double free or a leak if the handle is mishandled
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace pfd::event
