// The simulated clock every forward test runs on must allow what production allows.
#include "tests/fakes/simulated_dispatcher.h"

#include <chrono>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

TEST(SimulatedDispatcherTest, TimerMayDestroyItselfInItsCallback) {
  SimulatedDispatcher dispatcher;
  // A capture that lives in the callback: reading it after the reset is what ASan would catch if
  // the callback died with its timer.
  auto witness = std::make_shared<int>(7);
  int seen = 0;
  event::TimerPtr timer;
  timer = dispatcher.createTimer([&timer, &seen, witness] {
    timer.reset();
    seen = *witness;
  });
  timer->enable(milliseconds(10));

  dispatcher.advance(milliseconds(20));

  EXPECT_EQ(timer, nullptr);
  EXPECT_EQ(seen, 7);
  EXPECT_EQ(dispatcher.enabledTimers(), 0u);
}

TEST(SimulatedDispatcherTest, TimerDestroyedByAnotherDueAtTheSameTimeNeverFires) {
  SimulatedDispatcher dispatcher;
  std::vector<int> fired;
  event::TimerPtr second;
  event::TimerPtr first = dispatcher.createTimer([&] {
    fired.push_back(1);
    second.reset();
  });
  second = dispatcher.createTimer([&] { fired.push_back(2); });
  first->enable(milliseconds(10));
  second->enable(milliseconds(10));

  dispatcher.advance(milliseconds(20));

  EXPECT_THAT(fired, ElementsAre(1));
}

TEST(SimulatedDispatcherTest, TimerReenabledInItsCallbackFiresAgain) {
  SimulatedDispatcher dispatcher;
  int fired = 0;
  event::TimerPtr timer;
  timer = dispatcher.createTimer([&] {
    if (++fired < 3) {
      timer->enable(milliseconds(10));
    }
  });
  timer->enable(milliseconds(10));

  dispatcher.advance(milliseconds(100));

  EXPECT_EQ(fired, 3);
}

}  // namespace
}  // namespace pfd::testing
