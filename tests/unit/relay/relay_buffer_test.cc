#include "daemon/relay/relay_buffer.h"

#include <utility>
#include <vector>

#include "daemon/relay/replay_buffer.h"
#include "gtest/gtest.h"

namespace pfd::relay {
namespace {

TEST(RelayBufferTest, AFreedStandardBufferIsReusedByTheNextRead) {
  char* first = nullptr;
  {
    RelayBuffer buffer = RelayBuffer::standard();
    first = buffer.data();
    EXPECT_EQ(buffer.capacity(), RelayBuffer::kStandardSize);
  }
  EXPECT_EQ(RelayBuffer::standard().data(), first);
}

TEST(RelayBufferTest, ThePoolKeepsOnlyAFewBlocks) {
  {
    std::vector<RelayBuffer> many;
    for (size_t i = 0; i < 3 * RelayBuffer::kPoolLimit; ++i) {
      many.push_back(RelayBuffer::standard());
    }
  }
  EXPECT_EQ(RelayBuffer::pooledOnThisThread(), RelayBuffer::kPoolLimit);
}

TEST(RelayBufferTest, ReleaseAndAdoptHandOwnershipAround) {
  RelayBuffer buffer = RelayBuffer::ofSize(10);
  const size_t capacity = buffer.capacity();
  char* raw = buffer.release();
  EXPECT_TRUE(buffer.empty());
  RelayBuffer back = RelayBuffer::adopt(raw, capacity);
  EXPECT_EQ(back.data(), raw);
  RelayBuffer moved = std::move(back);
  EXPECT_TRUE(back.empty());  // NOLINT(bugprone-use-after-move): what a move leaves is the point
  EXPECT_EQ(moved.capacity(), 10u);
}

TEST(ReplayBufferTest, KeepsBytesUpToTheLimitAndThenNone) {
  ReplayBuffer replay;
  replay.setLimit(8);
  replay.keep("abcd", 4);
  replay.keep("efgh", 4);
  EXPECT_TRUE(replay.replayable());
  EXPECT_EQ(replay.bytes(), "abcdefgh");
  replay.keep("i", 1);
  EXPECT_FALSE(replay.replayable());
  EXPECT_EQ(replay.bytes(), "");
}

TEST(ReplayBufferTest, WithoutALimitTheFirstByteIsLost) {
  ReplayBuffer replay;
  EXPECT_TRUE(replay.replayable());
  replay.keep("x", 1);
  EXPECT_FALSE(replay.replayable());
}

}  // namespace
}  // namespace pfd::relay
