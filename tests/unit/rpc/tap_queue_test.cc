// A tap's queue is bounded: what does not fit is dropped, counted, and reported where it was lost.
#include "daemon/rpc/tap_queue.h"

#include <string>

#include "gtest/gtest.h"

namespace pfd::rpc {
namespace {

core::TapChunk chunkOf(const std::string& data, uint64_t offset = 0) {
  return core::TapChunk{.connection = 1,
                        .peer = "127.0.0.1:5000",
                        .direction = relay::Direction::kToClient,
                        .offset = offset,
                        .length = data.size(),
                        .data = data};
}

TEST(TapQueueTest, KeepsEventsInOrderUntilTaken) {
  TapQueue queue;
  EXPECT_TRUE(queue.empty());
  const std::string first = "GET / HTTP/1.1\r\n";
  queue.add(core::TapConnectionEvent{.connection = 1, .peer = "127.0.0.1:5000"});
  queue.add(chunkOf(first));
  EXPECT_FALSE(queue.empty());
  v1::TapMessage message = queue.take();
  ASSERT_EQ(message.events_size(), 2);
  EXPECT_TRUE(message.events(0).has_connection());
  EXPECT_EQ(message.events(1).chunk().data(), first);
  EXPECT_EQ(message.events(1).chunk().direction(), v1::TAP_DIRECTION_TO_CLIENT);
  EXPECT_EQ(message.events(1).chunk().peer(), "127.0.0.1:5000");
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(TapQueueTest, DropsWhatDoesNotFitAndSaysSoWhereTheGapIs) {
  const std::string kilobyte(1024, 'x');
  TapQueue queue(3 * (1024 + TapQueue::kEventOverhead));
  for (int i = 0; i < 5; ++i) {
    queue.add(chunkOf(kilobyte));
  }
  EXPECT_LE(queue.bytes(), 3 * (1024 + TapQueue::kEventOverhead));
  v1::TapMessage first = queue.take();
  ASSERT_EQ(first.events_size(), 4);
  EXPECT_TRUE(first.events(3).has_dropped()) << "the loss is reported after what was kept";
  EXPECT_EQ(first.events(3).dropped().chunks(), 2u);
  EXPECT_EQ(first.events(3).dropped().bytes(), 2048u);

  for (int i = 0; i < 4; ++i) {
    queue.add(chunkOf(kilobyte));
  }
  queue.add(core::TapConnectionEvent{.connection = 1});  // kept: connections have headroom
  v1::TapMessage full = queue.take();
  ASSERT_EQ(full.events_size(), 5);
  EXPECT_TRUE(full.events(3).has_dropped());
  EXPECT_TRUE(full.events(4).has_connection()) << "which connection ended is never lost";
  queue.add(chunkOf("after"));
  v1::TapMessage later = queue.take();
  EXPECT_EQ(later.events_size(), 1) << "drops reported once, with the batch they happened in";
}

TEST(TapQueueTest, ConnectionEventsHaveBoundedHeadroomBeyondTheChunks) {
  const size_t limit = 4 * 1024;
  TapQueue queue(limit);
  while (queue.bytes() + 1024 + TapQueue::kEventOverhead <= limit) {
    queue.add(chunkOf(std::string(1024, 'x')));
  }
  for (int i = 0; i < 100000; ++i) {  // a flood of connections while the tap is stalled
    queue.add(core::TapConnectionEvent{.connection = static_cast<uint64_t>(i)});
  }
  EXPECT_LE(queue.bytes(), limit + TapQueue::kConnectionHeadroom);
  v1::TapMessage message = queue.take();
  EXPECT_TRUE(message.events(message.events_size() - 1).has_dropped());
  EXPECT_GT(message.events(message.events_size() - 1).dropped().connection_events(), 0u);
}

TEST(TapQueueTest, ADropBetweenKeptEventsIsReportedBeforeTheNextKeptOne) {
  TapQueue queue(2 * (10 + TapQueue::kEventOverhead));
  queue.add(chunkOf(std::string(10, 'a')));
  queue.add(chunkOf(std::string(100, 'b')));  // does not fit
  queue.add(chunkOf(std::string(10, 'c')));
  v1::TapMessage message = queue.take();
  ASSERT_EQ(message.events_size(), 3);
  EXPECT_EQ(message.events(0).chunk().data(), std::string(10, 'a'));
  EXPECT_EQ(message.events(1).dropped().chunks(), 1u);
  EXPECT_EQ(message.events(1).dropped().bytes(), 100u);
  EXPECT_EQ(message.events(2).chunk().data(), std::string(10, 'c'));
}

}  // namespace
}  // namespace pfd::rpc
