// Starts spread over time: 200 forwards do not fork 200 kubectl in one turn of the loop.
#include "daemon/core/start_pacer.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;

class StartPacerTest : public ::testing::Test {
 protected:
  testing::SimulatedDispatcher dispatcher_;
  StartPacer pacer_{dispatcher_, milliseconds(2)};
};

TEST_F(StartPacerTest, ALoneStartRunsAtOnce) {
  int started = 0;
  EXPECT_EQ(pacer_.schedule([&] { started++; }), nullptr);
  EXPECT_EQ(started, 1);
  dispatcher_.advance(milliseconds(2));
  EXPECT_EQ(pacer_.schedule([&] { started++; }), nullptr) << "an interval later: at once again";
  EXPECT_EQ(started, 2);
}

TEST_F(StartPacerTest, TwoHundredStartsTakeFourHundredMillisecondsInOrder) {
  std::vector<int> order;
  std::vector<PacedStartPtr> tickets;
  for (int i = 0; i < 200; ++i) {
    tickets.push_back(pacer_.schedule([&order, i] { order.push_back(i); }));
  }
  EXPECT_EQ(order.size(), 1u) << "only the first in this turn";
  dispatcher_.advance(milliseconds(200));
  EXPECT_EQ(order.size(), 101u);
  dispatcher_.advance(milliseconds(198));
  ASSERT_EQ(order.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(order[i], i);
  }
  EXPECT_EQ(pacer_.queued(), 0u);
  EXPECT_EQ(dispatcher_.enabledTimers(), 0u);
}

TEST_F(StartPacerTest, ACancelledStartNeverRuns) {
  int first = 0, second = 0, third = 0;
  auto a = pacer_.schedule([&] { first++; });
  auto b = pacer_.schedule([&] { second++; });
  auto c = pacer_.schedule([&] { third++; });
  b.reset();
  dispatcher_.advance(milliseconds(10));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 0);
  EXPECT_EQ(third, 1);
}

TEST_F(StartPacerTest, AStartMayScheduleAnother) {
  std::vector<int> order;
  PacedStartPtr inner;
  auto first = pacer_.schedule([&] { order.push_back(1); });
  auto second = pacer_.schedule([&] {
    order.push_back(2);
    inner = pacer_.schedule([&] { order.push_back(3); });
  });
  dispatcher_.advance(milliseconds(2));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  dispatcher_.advance(milliseconds(2));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace pfd::core
