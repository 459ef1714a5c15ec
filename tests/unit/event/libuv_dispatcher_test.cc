#include "daemon/event/libuv_dispatcher.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::event {
namespace {

using ::testing::ElementsAre;

class LibuvDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<LibuvDispatcherPtr> dispatcher = LibuvDispatcher::create();
    ASSERT_OK(dispatcher);
    dispatcher_ = *std::move(dispatcher);
  }

  // Runs the loop until a callback calls exit(); a test that never gets there fails instead of
  // hanging.
  void run() {
    TimerPtr watchdog = dispatcher_->createTimer([this] {
      ADD_FAILURE() << "the loop did not exit within 30 s";
      dispatcher_->exit();
    });
    watchdog->enable(std::chrono::seconds(30));
    dispatcher_->run();
  }

  LibuvDispatcherPtr dispatcher_;
};

TEST_F(LibuvDispatcherTest, PostFromAnotherThreadRunsOnLoopThreadInOrder) {
  constexpr int kPosts = 100;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::thread poster([&] {
    for (int i = 0; i < kPosts; ++i) {
      dispatcher_->post([&, i] {
        order.push_back(i);
        threads.push_back(std::this_thread::get_id());
      });
    }
    dispatcher_->post([&] { dispatcher_->exit(); });
  });
  run();
  poster.join();

  ASSERT_EQ(order.size(), kPosts);
  for (int i = 0; i < kPosts; ++i) {
    EXPECT_EQ(order[i], i);
    EXPECT_EQ(threads[i], std::this_thread::get_id());
  }
}

TEST_F(LibuvDispatcherTest, ManyPostsFromManyThreadsAreAllDrained) {
  constexpr int kThreads = 4;
  constexpr int kPostsPerThread = 20000;
  int ran = 0;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < kPostsPerThread; ++i) {
        dispatcher_->post([&] {
          if (++ran == kThreads * kPostsPerThread) {
            dispatcher_->exit();
          }
        });
      }
    });
  }
  run();
  for (std::thread& poster : posters) {
    poster.join();
  }
  EXPECT_EQ(ran, kThreads * kPostsPerThread);
}

TEST_F(LibuvDispatcherTest, CallbackPostedWhileDrainingRunsOnTheNextPass) {
  std::vector<std::string> order;
  dispatcher_->post([&] {
    order.push_back("first");
    dispatcher_->post([&] {
      order.push_back("posted by first");
      dispatcher_->exit();
    });
  });
  dispatcher_->post([&] { order.push_back("second"); });
  run();
  EXPECT_THAT(order, ElementsAre("first", "second", "posted by first"));
}

TEST_F(LibuvDispatcherTest, MoveOnlyCallbackReleasesItsCaptureAfterRunning) {
  auto owned = std::make_unique<int>(42);
  int seen = 0;
  dispatcher_->post([&, owned = std::move(owned)] {
    seen = *owned;
    dispatcher_->exit();
  });
  run();
  EXPECT_EQ(seen, 42);
}

TEST_F(LibuvDispatcherTest, RunReturnsAfterExitAndCanRunAgain) {
  int runs = 0;
  dispatcher_->post([&] {
    ++runs;
    dispatcher_->exit();
  });
  run();
  dispatcher_->post([&] {
    ++runs;
    dispatcher_->exit();
  });
  run();
  EXPECT_EQ(runs, 2);
}

TEST_F(LibuvDispatcherTest, ExitBeforeRunMakesRunReturnAtOnce) {
  dispatcher_->exit();
  dispatcher_->run();
  SUCCEED();
}

TEST_F(LibuvDispatcherTest, DestroyingTheDispatcherDropsPendingCallbacksWithoutRunningThem) {
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  bool ran = false;
  dispatcher_->post([&ran, alive = std::move(alive)] { ran = true; });
  dispatcher_.reset();
  EXPECT_FALSE(ran);
  EXPECT_TRUE(watch.expired());
}

TEST_F(LibuvDispatcherTest, DroppedCallbackMayOwnATimerOfTheDispatcher) {
  TimerPtr timer = dispatcher_->createTimer([] {});
  timer->enable(std::chrono::hours(1));
  dispatcher_->post([timer = std::move(timer)] {});
  dispatcher_.reset();  // ASan reports the timer's handle if it leaks.
}

TEST_F(LibuvDispatcherTest, MonotonicTimeNeverGoesBackwards) {
  const MonotonicTime before = dispatcher_->monotonicTime();
  MonotonicTime after;
  dispatcher_->post([&] {
    after = dispatcher_->monotonicTime();
    dispatcher_->exit();
  });
  run();
  EXPECT_LE(before, after);
}

TEST_F(LibuvDispatcherTest, SystemTimeIsTheWallClock) {
  const auto before = std::chrono::system_clock::now();
  const SystemTime now = dispatcher_->systemTime();
  const auto after = std::chrono::system_clock::now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST_F(LibuvDispatcherTest, LoopIsUsableByOtherLibuvCode) {
  uv_idle_t idle;
  idle.data = dispatcher_.get();
  ASSERT_EQ(uv_idle_init(dispatcher_->loop(), &idle), 0);
  ASSERT_EQ(uv_idle_start(&idle,
                          [](uv_idle_t* handle) {
                            uv_idle_stop(handle);
                            static_cast<LibuvDispatcher*>(handle->data)->exit();
                          }),
            0);
  run();
  bool closed = false;
  idle.data = &closed;
  uv_close(reinterpret_cast<uv_handle_t*>(&idle),
           [](uv_handle_t* handle) { *static_cast<bool*>(handle->data) = true; });
  dispatcher_.reset();  // runs the pending close callback
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace pfd::event
