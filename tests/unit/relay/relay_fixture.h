#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/relay/libuv_connection.h"
#include "daemon/relay/libuv_relay.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/relay/test_loop.h"

namespace pfd::relay::testing {

// Collects what on_end reports, to check that it runs once and when.
struct EndRecorder {
  std::vector<RelayEnd> ends;

  std::function<void(const RelayEnd&)> callback() {
    return [this](const RelayEnd& end) { ends.push_back(end); };
  }
  bool ended() const { return !ends.empty(); }
  const RelayEnd& last() const { return ends.back(); }
};

// A LibuvRelay listening on 127.0.0.1 (port 0) on a test-owned loop; accepted connections are
// kept in order. Peer threads started with spawn() are joined before anything is destroyed.
class RelayFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LibuvRelay>> relay = LibuvRelay::create(loop_.get(), limits());
    ASSERT_OK(relay);
    relay_ = *std::move(relay);
    absl::StatusOr<ListenerPtr> listener =
        relay_->listen("127.0.0.1", 0, [this](ConnectionPtr connection) {
          accepted_.push_back(std::move(connection));
          if (on_accept_) {
            on_accept_(dynamic_cast<LibuvConnection&>(*accepted_.back()), accepted_.size() - 1);
          }
        });
    ASSERT_OK(listener);
    listener_ = *std::move(listener);
  }

  void TearDown() override { joinPeers(); }

  virtual RelayLimits limits() const { return {}; }

  uint16_t relayPort() const { return listener_->port(); }

  // Runs the loop until the n-th connection (from 1) was accepted.
  LibuvConnection& accepted(size_t n) {
    EXPECT_TRUE(loop_.runUntil([&] { return accepted_.size() >= n; }));
    return dynamic_cast<LibuvConnection&>(*accepted_.at(n - 1));
  }

  // A peer thread; it wakes the loop when it ends, so runUntil() sees what it did.
  void spawn(std::function<void()> body) {
    peers_.emplace_back([this, body = std::move(body)] {
      body();
      loop_.wakeUp();
    });
  }
  void joinPeers() {
    for (std::thread& peer : peers_) {
      peer.join();
    }
    peers_.clear();
  }

  TestLoop loop_;  // first, so that it is destroyed last and checks every handle was closed
  std::unique_ptr<LibuvRelay> relay_;
  ListenerPtr listener_;
  std::vector<ConnectionPtr> accepted_;
  // Runs for each accepted connection, with its index in accepted_.
  std::function<void(LibuvConnection&, size_t)> on_accept_;
  std::vector<std::thread> peers_;
};

}  // namespace pfd::relay::testing
