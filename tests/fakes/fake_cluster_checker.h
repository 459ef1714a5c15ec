#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "daemon/core/cluster.h"
#include "gtest/gtest.h"

namespace pfd::testing {

// Checks wait until the test answers them.
class FakeClusterChecker : public core::ClusterChecker {
 public:
  struct Pending {
    core::ClusterKey key;
    std::function<void(core::ClusterCheckResult)> done;
    bool cancelled = false;
  };
  class Handle : public core::ClusterCheck {
   public:
    explicit Handle(std::shared_ptr<Pending> pending) : pending_(std::move(pending)) {}
    ~Handle() override { pending_->cancelled = true; }

   private:
    std::shared_ptr<Pending> pending_;
  };

  core::ClusterCheckPtr check(const core::ClusterKey& key,
                              std::function<void(core::ClusterCheckResult)> done) override {
    checks.push_back(std::make_shared<Pending>(Pending{key, std::move(done)}));
    return std::make_unique<Handle>(checks.back());
  }
  // Answers the oldest unanswered check.
  void answer(core::ClusterCheckResult result) {
    for (auto& pending : checks) {
      if (pending->done && !pending->cancelled) {
        auto done = std::move(pending->done);
        pending->done = nullptr;
        done(result);
        return;
      }
    }
    ADD_FAILURE() << "no check in flight";
  }
  size_t inFlight() const {
    size_t count = 0;
    for (const auto& pending : checks) {
      count += pending->done && !pending->cancelled ? 1 : 0;
    }
    return count;
  }

  std::vector<std::shared_ptr<Pending>> checks;
};

}  // namespace pfd::testing
