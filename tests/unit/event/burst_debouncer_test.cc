#include "daemon/event/burst_debouncer.h"

#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::event {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class BurstDebouncerTest : public ::testing::Test {
 protected:
  BurstDebouncerTest()
      : debouncer_(std::make_unique<BurstDebouncer>(
            dispatcher_, milliseconds(500), milliseconds(2000),
            [this](const BurstDebouncer::Burst& burst) { bursts_.push_back(burst); })) {}

  testing::SimulatedDispatcher dispatcher_;
  std::vector<BurstDebouncer::Burst> bursts_;
  std::unique_ptr<BurstDebouncer> debouncer_;
};

TEST_F(BurstDebouncerTest, NothingAddedReportsNothing) {
  dispatcher_.advance(milliseconds(10000));
  EXPECT_THAT(bursts_, IsEmpty());
  EXPECT_FALSE(debouncer_->pending());
}

TEST_F(BurstDebouncerTest, BurstIsOneReportAfterItWentQuiet) {
  for (int i = 0; i < 20; ++i) {
    debouncer_->add("address " + std::to_string(i));
    dispatcher_.advance(milliseconds(10));
  }
  EXPECT_THAT(bursts_, IsEmpty());
  dispatcher_.advance(milliseconds(489));
  EXPECT_THAT(bursts_, IsEmpty());
  dispatcher_.advance(milliseconds(1));
  ASSERT_THAT(bursts_, SizeIs(1));
  EXPECT_EQ(bursts_[0].events, 20);
  EXPECT_THAT(bursts_[0].descriptions, SizeIs(20));
  EXPECT_EQ(bursts_[0].descriptions.front(), "address 0");
  EXPECT_FALSE(debouncer_->pending());
}

TEST_F(BurstDebouncerTest, RepeatedDescriptionsAreListedOnceAndCounted) {
  debouncer_->add("route added");
  debouncer_->add("address added");
  debouncer_->add("route added");
  dispatcher_.advance(milliseconds(500));
  ASSERT_THAT(bursts_, SizeIs(1));
  EXPECT_THAT(bursts_[0].descriptions, ElementsAre("route added", "address added"));
  EXPECT_EQ(bursts_[0].events, 3);
}

TEST_F(BurstDebouncerTest, TwoBurstsApartAreTwoReports) {
  debouncer_->add("first");
  dispatcher_.advance(milliseconds(600));
  debouncer_->add("second");
  debouncer_->add("third");
  dispatcher_.advance(milliseconds(600));
  ASSERT_THAT(bursts_, SizeIs(2));
  EXPECT_THAT(bursts_[0].descriptions, ElementsAre("first"));
  EXPECT_THAT(bursts_[1].descriptions, ElementsAre("second", "third"));
  EXPECT_EQ(bursts_[1].events, 2);
}

TEST_F(BurstDebouncerTest, NeverEndingBurstIsReportedAtTheCap) {
  // An event every 100 ms never leaves 500 ms of quiet.
  for (int i = 0; i < 20; ++i) {
    debouncer_->add("flap " + std::to_string(i));
    dispatcher_.advance(milliseconds(100));
  }
  // The first burst began at 0 and is cut at 2000 ms with the 20 events up to 1900 ms.
  ASSERT_THAT(bursts_, SizeIs(1));
  EXPECT_EQ(bursts_[0].events, 20);
  for (int i = 20; i < 40; ++i) {
    debouncer_->add("flap " + std::to_string(i));
    dispatcher_.advance(milliseconds(100));
  }
  ASSERT_THAT(bursts_, SizeIs(2));
  EXPECT_EQ(bursts_[1].events, 20);
  EXPECT_EQ(bursts_[1].descriptions.front(), "flap 20");
}

TEST_F(BurstDebouncerTest, CapCountsFromTheBurstsFirstEvent) {
  debouncer_->add("a");
  dispatcher_.advance(milliseconds(400));
  debouncer_->add("b");
  dispatcher_.advance(milliseconds(400));
  debouncer_->add("c");
  dispatcher_.advance(milliseconds(400));
  debouncer_->add("d");
  dispatcher_.advance(milliseconds(400));
  debouncer_->add("e");  // at 1600 ms: the report is due at 2000, not 2100
  dispatcher_.advance(milliseconds(399));
  EXPECT_THAT(bursts_, IsEmpty());
  dispatcher_.advance(milliseconds(1));
  ASSERT_THAT(bursts_, SizeIs(1));
  EXPECT_EQ(bursts_[0].events, 5);
}

TEST_F(BurstDebouncerTest, CallbackMayDestroyTheDebouncer) {
  debouncer_ = std::make_unique<BurstDebouncer>(
      dispatcher_, milliseconds(500), milliseconds(2000),
      [this](const BurstDebouncer::Burst&) { debouncer_.reset(); });
  debouncer_->add("x");
  dispatcher_.advance(milliseconds(500));
  EXPECT_EQ(debouncer_, nullptr);
}

}  // namespace
}  // namespace pfd::event
