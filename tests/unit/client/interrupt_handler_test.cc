#include "client/interrupt_handler.h"

#include <signal.h>

#include <future>

#include "gtest/gtest.h"

namespace pfd::client {
namespace {

struct sigaction currentAction(int signal) {
  struct sigaction action {};
  sigaction(signal, nullptr, &action);
  return action;
}

TEST(InterruptHandlerTest, CallsBackOnSigint) {
  std::promise<void> called;
  InterruptHandler handler([&called] { called.set_value(); });
  ASSERT_EQ(raise(SIGINT), 0);
  called.get_future().wait();
  EXPECT_TRUE(handler.interrupted());
}

TEST(InterruptHandlerTest, CallsBackOnSigterm) {
  std::promise<void> called;
  InterruptHandler handler([&called] { called.set_value(); });
  ASSERT_EQ(raise(SIGTERM), 0);
  called.get_future().wait();
  EXPECT_TRUE(handler.interrupted());
}

TEST(InterruptHandlerTest, GivesTheSignalsBackWhenDestroyed) {
  const auto before = currentAction(SIGINT).sa_handler;
  {
    InterruptHandler handler([] {});
    EXPECT_NE(currentAction(SIGINT).sa_handler, before);
    EXPECT_FALSE(handler.interrupted());
  }
  EXPECT_EQ(currentAction(SIGINT).sa_handler, before);
  EXPECT_EQ(currentAction(SIGTERM).sa_handler, SIG_DFL);
}

TEST(InterruptHandlerTest, RestoresTheDefaultAfterTheFirstSignalSoASecondOneKills) {
  std::promise<void> called;
  InterruptHandler handler([&called] { called.set_value(); });
  ASSERT_EQ(raise(SIGINT), 0);
  called.get_future().wait();
  // The handler thread restores the handlers before calling back.
  EXPECT_EQ(currentAction(SIGINT).sa_handler, SIG_DFL);
}

}  // namespace
}  // namespace pfd::client
