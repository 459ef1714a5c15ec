#include "daemon/event/network_watcher.h"

#include "daemon/event/libuv_dispatcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::event {
namespace {

BurstDebouncer::Burst burstOf(int count) {
  BurstDebouncer::Burst burst;
  for (int i = 0; i < count; ++i) {
    burst.descriptions.push_back("address 127.0.1." + std::to_string(i) + "/8 added on lo");
  }
  burst.events = count;
  return burst;
}

TEST(SummarizeNetworkChangesTest, FewChangesAreAllSpelledOut) {
  EXPECT_EQ(summarizeNetworkChanges(burstOf(1)), "address 127.0.1.0/8 added on lo");
  EXPECT_EQ(summarizeNetworkChanges(burstOf(2)),
            "address 127.0.1.0/8 added on lo; address 127.0.1.1/8 added on lo");
  // Five fit: "and 1 more" would be no shorter.
  EXPECT_THAT(summarizeNetworkChanges(burstOf(5)),
              ::testing::EndsWith("address 127.0.1.4/8 added on lo"));
}

TEST(SummarizeNetworkChangesTest, ManyChangesAreCounted) {
  EXPECT_EQ(summarizeNetworkChanges(burstOf(20)),
            "address 127.0.1.0/8 added on lo; address 127.0.1.1/8 added on lo; "
            "address 127.0.1.2/8 added on lo; address 127.0.1.3/8 added on lo; and 16 more "
            "changes");
}

// The live path (messages from a real kernel) is tests/integration/test_network_watcher.py, in a
// network namespace of its own; here only that subscribing works and the handle is released.
TEST(NetworkWatcherTest, SubscribesAndClosesCleanly) {
  absl::StatusOr<LibuvDispatcherPtr> created = LibuvDispatcher::create();
  ASSERT_OK(created);
  LibuvDispatcherPtr dispatcher = *std::move(created);
  absl::StatusOr<NetworkWatcherPtr> subscribed =
      NetworkWatcher::create(dispatcher->loop(), *dispatcher, [](const NetworkChangeReport&) {});
  ASSERT_OK(subscribed);
  NetworkWatcherPtr watcher = *std::move(subscribed);
  bool ran = false;
  dispatcher->post([&] {
    ran = true;
    watcher.reset();
    dispatcher->exit();
  });
  dispatcher->run();
  EXPECT_TRUE(ran);
  dispatcher.reset();  // runs the poll handle's close callback (ASan would see a leak)
}

}  // namespace
}  // namespace pfd::event
