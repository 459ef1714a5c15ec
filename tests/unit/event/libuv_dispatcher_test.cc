#include "daemon/event/libuv_dispatcher.h"

#include <latch>
#include <memory>
#include <numeric>
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

// The hand-off gRPC relies on, without gRPC: under ThreadSanitizer this is the test that proves
// post() publishes a closure and its captures to the loop thread.
TEST_F(LibuvDispatcherTest, ConcurrentPostsWhileTheLoopRunsEachRunOnceInEachThreadsOrder) {
  constexpr int kThreads = 4;
  constexpr int kPostsPerThread = 20000;
  // Loop thread only: per poster, the sequence numbers in the order their closures ran.
  std::vector<std::vector<int>> ran(kThreads);
  int total = 0;
  int off_loop_thread = 0;
  const std::thread::id loop_thread = std::this_thread::get_id();
  // The posters start once the loop runs, so that posts race with the loop taking the queue
  // rather than all landing before the first wake-up.
  std::latch loop_running(1);
  dispatcher_->post([&] { loop_running.count_down(); });

  std::vector<std::thread> posters;
  for (int poster = 0; poster < kThreads; ++poster) {
    posters.emplace_back([&, poster] {
      loop_running.wait();
      for (int i = 0; i < kPostsPerThread; ++i) {
        // A heap capture, so that the closure's state, not just the queue slot, crosses threads.
        dispatcher_->post([&, poster, sequence = std::make_unique<int>(i)] {
          if (std::this_thread::get_id() != loop_thread) {
            ++off_loop_thread;
          }
          ran[poster].push_back(*sequence);
          if (++total == kThreads * kPostsPerThread) {
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

  std::vector<int> in_order(kPostsPerThread);
  std::iota(in_order.begin(), in_order.end(), 0);
  for (int poster = 0; poster < kThreads; ++poster) {
    EXPECT_EQ(ran[poster], in_order) << "poster " << poster;
  }
  EXPECT_EQ(total, kThreads * kPostsPerThread);
  EXPECT_EQ(off_loop_thread, 0);
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
