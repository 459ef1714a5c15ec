#include "daemon/core/event_ring.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::core {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Type = HistoryEvent::Type;

const event::SystemTime kStart = event::SystemTime() + std::chrono::hours(500000);

std::vector<std::string> messages(const EventRing& ring) {
  std::vector<std::string> result;
  for (const HistoryEvent& event : ring.events()) {
    result.push_back(event.message);
  }
  return result;
}

TEST(EventRingTest, KeepsEventsOldestFirstWithTheirTypeReasonAndTime) {
  EventRing ring;
  ring.record(kStart, Type::kNormal, "Ready", "STARTING -> READY: forwarding 8080");
  ring.record(kStart + seconds(5), Type::kWarning, "BackOff", "READY -> BACKOFF: lost");
  ASSERT_EQ(ring.size(), 2u);
  const std::vector<HistoryEvent> events = ring.events();
  EXPECT_EQ(events[0].type, Type::kNormal);
  EXPECT_EQ(events[0].reason, "Ready");
  EXPECT_EQ(events[0].first_time, kStart);
  EXPECT_EQ(events[1].type, Type::kWarning);
  EXPECT_EQ(events[1].reason, "BackOff");
  EXPECT_EQ(events[1].last_time, kStart + seconds(5));
  EXPECT_EQ(events[1].count, 1u);
}

TEST(EventRingTest, IsBoundedAndDropsTheOldest) {
  EventRing ring;
  for (int i = 0; i < 120; ++i) {
    ring.record(kStart + seconds(i), Type::kNormal, "Ready", "event " + std::to_string(i));
  }
  ASSERT_EQ(ring.size(), EventRing::kDefaultCapacity);
  EXPECT_EQ(ring.events().front().message, "event 70");
  EXPECT_EQ(ring.events().back().message, "event 119");
}

TEST(EventRingTest, ARepeatOfTheNewestEventIsCountedNotPushed) {
  EventRing ring(3);
  ring.record(kStart, Type::kNormal, "Ready", "first");
  ring.record(kStart + seconds(1), Type::kWarning, "ProbeFailed", "HTTP 503");
  ring.record(kStart + seconds(2), Type::kWarning, "ProbeFailed", "HTTP 503");
  ring.record(kStart + seconds(3), Type::kWarning, "ProbeFailed", "HTTP 503");
  EXPECT_THAT(messages(ring), ElementsAre("first", "HTTP 503"));
  const HistoryEvent newest = ring.events().back();
  EXPECT_EQ(newest.count, 3u);
  EXPECT_EQ(newest.first_time, kStart + seconds(1));
  EXPECT_EQ(newest.last_time, kStart + seconds(3));
}

TEST(EventRingTest, TheSameMessageWithAnotherTypeOrReasonIsANewEvent) {
  EventRing ring;
  ring.record(kStart, Type::kNormal, "Ready", "same");
  ring.record(kStart, Type::kWarning, "Ready", "same");
  ring.record(kStart, Type::kWarning, "BackOff", "same");
  EXPECT_EQ(ring.size(), 3u);
}

TEST(EventRingTest, ClusterDownIsAWarningAndClusterUpNormal) {
  EventRing ring;
  ring.recordClusterDown(kStart, "dial tcp 10.0.0.1:6443: connection refused");
  ring.recordClusterUp(kStart + seconds(30), "");
  const std::vector<HistoryEvent> events = ring.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, Type::kWarning);
  EXPECT_EQ(events[0].reason, "ClusterDown");
  EXPECT_THAT(events[0].message, HasSubstr("connection refused"));
  EXPECT_EQ(events[1].type, Type::kNormal);
  EXPECT_EQ(events[1].reason, "ClusterUp");
  EXPECT_EQ(events[1].message, "the cluster's API server answers again");
}

}  // namespace
}  // namespace pfd::core
