#include "daemon/event/libuv_signal_watcher.h"

#include <signal.h>
#include <unistd.h>

#include <vector>

#include "daemon/event/libuv_dispatcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::event {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class LibuvSignalWatcherTest : public ::testing::Test {
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

  void TearDown() override {
    watcher_.reset();
    watchdog_.reset();
    dispatcher_.reset();
  }

  void run() {
    watchdog_->enable(std::chrono::seconds(30));
    dispatcher_->run();
    watchdog_->disable();
  }

  LibuvDispatcherPtr dispatcher_;
  TimerPtr watchdog_;
  LibuvSignalWatcherPtr watcher_;
};

TEST_F(LibuvSignalWatcherTest, WatchesTheDaemonsStopAndReloadSignals) {
  EXPECT_THAT(LibuvSignalWatcher::daemonSignals(), UnorderedElementsAre(SIGTERM, SIGINT, SIGHUP));
}

TEST_F(LibuvSignalWatcherTest, EachDaemonSignalIsDeliveredOnTheLoop) {
  std::vector<int> received;
  absl::StatusOr<LibuvSignalWatcherPtr> watcher = LibuvSignalWatcher::create(
      dispatcher_->loop(), LibuvSignalWatcher::daemonSignals(), [&](int signal_number) {
        received.push_back(signal_number);
        dispatcher_->exit();
      });
  ASSERT_OK(watcher);
  watcher_ = *std::move(watcher);

  for (int signal_number : {SIGHUP, SIGINT, SIGTERM}) {
    ASSERT_EQ(kill(getpid(), signal_number), 0);
    run();
  }
  EXPECT_THAT(received, ElementsAre(SIGHUP, SIGINT, SIGTERM));
}

TEST_F(LibuvSignalWatcherTest, WatcherMayBeDestroyedInItsOwnCallback) {
  int received = 0;
  absl::StatusOr<LibuvSignalWatcherPtr> watcher =
      LibuvSignalWatcher::create(dispatcher_->loop(), {SIGHUP}, [&](int signal_number) {
        received = signal_number;
        watcher_.reset();
        dispatcher_->exit();
      });
  ASSERT_OK(watcher);
  watcher_ = *std::move(watcher);
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);
  run();
  EXPECT_EQ(received, SIGHUP);
  EXPECT_EQ(watcher_, nullptr);
}

TEST_F(LibuvSignalWatcherTest, InvalidSignalIsAnError) {
  EXPECT_THAT(LibuvSignalWatcher::create(dispatcher_->loop(), {-1}, [](int) {}),
              pfd::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                     ::testing::HasSubstr("cannot watch signal -1")));
}

}  // namespace
}  // namespace pfd::event
