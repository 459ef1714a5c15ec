#include "daemon/event/suspend_detector.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::event {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A machine's two clocks: both run while it is awake, only BOOTTIME while it sleeps.
struct FakeMachine {
  std::chrono::nanoseconds monotonic{std::chrono::hours(5)};
  std::chrono::nanoseconds boottime{std::chrono::hours(5) + seconds(7)};

  void run(std::chrono::nanoseconds duration) {
    monotonic += duration;
    boottime += duration;
  }
  void sleep(std::chrono::nanoseconds duration) { boottime += duration; }

  SuspendClocks clocks() {
    return SuspendClocks{.boottime = [this] { return boottime; },
                         .monotonic = [this] { return monotonic; }};
  }
};

class SuspendDetectorTest : public ::testing::Test {
 protected:
  void start(SuspendDetector::Options options = {}) {
    detector_ = std::make_unique<SuspendDetector>(
        dispatcher_, machine_.clocks(), [this](milliseconds asleep) { resumes_.push_back(asleep); },
        options);
  }
  // Awake time passes: the machine's clocks and the loop's move together.
  void run(milliseconds duration) {
    machine_.run(duration);
    dispatcher_.advance(duration);
  }

  testing::SimulatedDispatcher dispatcher_;
  FakeMachine machine_;
  std::vector<milliseconds> resumes_;
  std::unique_ptr<SuspendDetector> detector_;
};

TEST_F(SuspendDetectorTest, DefaultsCheckEveryTwoSecondsForSuspendsOverThreeSeconds) {
  SuspendDetector::Options defaults;
  EXPECT_EQ(defaults.period, seconds(2));
  EXPECT_EQ(defaults.threshold, seconds(3));
  start();
  EXPECT_EQ(dispatcher_.nextTimerIn(), 2000);
}

TEST_F(SuspendDetectorTest, AwakeTicksReportNothing) {
  start();
  for (int tick = 0; tick < 100; ++tick) {
    run(milliseconds(500));
  }
  EXPECT_THAT(resumes_, IsEmpty());
  EXPECT_EQ(dispatcher_.enabledTimers(), 1u);
}

// A loaded machine (or a SIGSTOPped pfd) runs the timer a minute late, but MONOTONIC advanced
// all that time too: not a suspend.
TEST_F(SuspendDetectorTest, LateTimerIsNotASuspend) {
  start();
  machine_.run(minutes(1));
  dispatcher_.advance(minutes(1));
  run(seconds(10));
  EXPECT_THAT(resumes_, IsEmpty());
}

TEST_F(SuspendDetectorTest, OneSuspendIsReportedOnceWithHowLongTheMachineSlept) {
  start();
  run(seconds(1));
  // While suspended, no timer runs and MONOTONIC stands still; the first tick after the resume
  // sees BOOTTIME ahead by the time asleep.
  machine_.sleep(minutes(42));
  run(seconds(1));
  EXPECT_THAT(resumes_, ElementsAre(minutes(42)));
  run(seconds(30));
  EXPECT_THAT(resumes_, ElementsAre(minutes(42)));
}

TEST_F(SuspendDetectorTest, ResumeIsNoticedWithinOnePeriod) {
  start();
  run(milliseconds(1900));
  machine_.sleep(seconds(30));
  run(milliseconds(99));
  EXPECT_THAT(resumes_, IsEmpty());
  run(milliseconds(1));
  EXPECT_THAT(resumes_, ElementsAre(seconds(30)));
}

TEST_F(SuspendDetectorTest, TwoSuspendsInARowAreEachReported) {
  start();
  run(seconds(2));
  machine_.sleep(minutes(5));
  run(seconds(2));
  machine_.sleep(seconds(90));
  run(seconds(2));
  EXPECT_THAT(resumes_, ElementsAre(minutes(5), seconds(90)));
}

// Two suspends with no check in between (the machine woke for less than a period) are one
// resume whose sleep is their sum: the forwards restart once either way.
TEST_F(SuspendDetectorTest, SuspendsBetweenTwoChecksAddUp) {
  start();
  run(seconds(1));
  machine_.sleep(minutes(10));
  machine_.run(milliseconds(200));
  machine_.sleep(minutes(3));
  run(seconds(1));
  EXPECT_THAT(resumes_, ElementsAre(minutes(13)));
}

TEST_F(SuspendDetectorTest, SuspendShorterThanTheThresholdIsNotReported) {
  start();
  run(seconds(2));
  machine_.sleep(seconds(3));  // not more than the threshold
  run(seconds(2));
  machine_.sleep(milliseconds(3001));
  run(seconds(2));
  EXPECT_THAT(resumes_, ElementsAre(milliseconds(3001)));
}

TEST_F(SuspendDetectorTest, CheckNowReportsAtOnceAndOnlyOnce) {
  start();
  run(milliseconds(300));
  machine_.sleep(minutes(1));
  detector_->checkNow();
  EXPECT_THAT(resumes_, ElementsAre(minutes(1)));
  run(seconds(5));
  EXPECT_THAT(resumes_, ElementsAre(minutes(1)));
}

TEST_F(SuspendDetectorTest, OptionsSetPeriodAndThreshold) {
  start({.period = seconds(10), .threshold = seconds(60)});
  machine_.sleep(seconds(59));
  run(seconds(10));
  EXPECT_THAT(resumes_, IsEmpty());
  machine_.sleep(seconds(61));
  run(seconds(9));
  EXPECT_THAT(resumes_, IsEmpty());
  run(seconds(1));
  EXPECT_THAT(resumes_, ElementsAre(seconds(61)));
}

TEST_F(SuspendDetectorTest, CallbackMayDestroyTheDetector) {
  detector_ = std::make_unique<SuspendDetector>(dispatcher_, machine_.clocks(),
                                                [this](milliseconds) { detector_.reset(); });
  machine_.sleep(minutes(1));
  run(seconds(2));
  EXPECT_EQ(detector_, nullptr);
  EXPECT_EQ(dispatcher_.enabledTimers(), 0u);
}

TEST(SuspendClocksTest, SystemClocksReadBoottimeAtLeastMonotonic) {
  SuspendClocks clocks = SuspendClocks::system();
  const std::chrono::nanoseconds monotonic = clocks.monotonic();
  const std::chrono::nanoseconds boottime = clocks.boottime();
  EXPECT_GT(monotonic.count(), 0);
  EXPECT_GE(boottime, monotonic);
}

}  // namespace
}  // namespace pfd::event
