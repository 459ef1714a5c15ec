// A network change (a new default route, an address come or gone) restarts the kubectl forwards
// whose cluster answers differently, or whose kubectl forwarded nothing since the change; one that
// forwarded since is left alone.
#include "daemon/core/network_change.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_cluster_checker.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;

TEST(AfterNetworkChangeTest, TheRule) {
  EXPECT_EQ(afterNetworkChange(true, 10, 20), AfterNetworkChange::kRestart)
      << "answers differently: restarted even if bytes flowed";
  EXPECT_EQ(afterNetworkChange(false, 10, 20), AfterNetworkChange::kKeep);
  EXPECT_EQ(afterNetworkChange(false, 10, 10), AfterNetworkChange::kRestartDraining);
  EXPECT_EQ(afterNetworkChange(false, std::nullopt, std::nullopt),
            AfterNetworkChange::kRestartDraining)
      << "pfd does not see the traffic (holdPort: false): nothing is known to have flowed";
}

ClusterCheckResult upFrom(std::string local_address) {
  return {.up = true, .context = "kind-dev", .local_address = std::move(local_address)};
}

class NetworkChangeTest : public ForwardTestBase {
 protected:
  NetworkChangeTest() { context_.clusters = &clusters_; }

  // Two READY forwards of one cluster, each with an open connection; the cluster was last seen
  // from 192.168.1.5.
  void SetUp() override {
    for (const char* name : {"busy", "quiet"}) {
      ForwardSpec spec = kubectlSpec();
      spec.name = name;
      spec.ports = {{static_cast<uint16_t>(forwards_.empty() ? 8080 : 8081), "8000"}};
      forwards_.push_back(makeForward(spec));
      forwards_.back()->activate();
      children_.push_back(launcher_.last());
      printForwarding(*launcher_.last(), spec);
      EXPECT_EQ(forwards_.back()->state(), ForwardState::kReady);
      connections_.push_back(relay_.connect("127.0.0.1", spec.ports[0].local));
      connections_.back()->move(relay::Direction::kToClient, "before the change");
    }
    clusters_.checkAll("a look before the change");
    checker_.answer(upFrom("192.168.1.5"));
    dispatcher_.runPosted();
  }

  std::vector<Forward*> forwards() { return {forwards_[0].get(), forwards_[1].get()}; }

  // The change: a snapshot, then every cluster checked; the returned outcome is filled in when
  // the check answers.
  std::shared_ptr<NetworkChangeSnapshot::Outcome> change() {
    auto outcome = std::make_shared<NetworkChangeSnapshot::Outcome>();
    auto snapshot =
        std::make_shared<NetworkChangeSnapshot>(NetworkChangeSnapshot::take(forwards()));
    clusters_.checkAll(
        "network changed", [this, snapshot, outcome](const Cluster& cluster, bool differs) {
          *outcome = snapshot->apply(cluster, differs, forwards(), "network changed");
        });
    return outcome;
  }

  testing::FakeClusterChecker checker_;
  ClusterHub clusters_{dispatcher_, checker_, ClusterHub::Options{}};
  std::vector<std::unique_ptr<Forward>> forwards_;
  std::vector<testing::FakeChildPtr> children_;
  std::vector<testing::FakeConnectionPtr> connections_;
};

TEST_F(NetworkChangeTest, SameAnswerKeepsAForwardThatForwardedAndRestartsAQuietOneGently) {
  const size_t spawned = launcher_.spawnCount();
  auto outcome = change();
  connections_[0]->move(relay::Direction::kToClient, "the busy download goes on");
  EXPECT_EQ(launcher_.spawnCount(), spawned) << "nothing decided before the cluster answers";
  checker_.answer(upFrom("192.168.1.5"));
  dispatcher_.runPosted();
  EXPECT_EQ(outcome->kept, 1u);
  EXPECT_EQ(outcome->restarted, 1u);
  EXPECT_EQ(children_[0]->terminate_calls, 0) << "busy: its kubectl works";
  EXPECT_EQ(children_[1]->terminate_calls, 0) << "quiet: its open connection drains there";
  ASSERT_EQ(launcher_.spawnCount(), spawned + 1) << "quiet: a new kubectl";
  ASSERT_EQ(forwards_[1]->draining().size(), 1u);
  EXPECT_EQ(forwards_[1]->draining()[0].connections, 1u);
}

TEST_F(NetworkChangeTest, AnAnswerFromAnotherLocalAddressRestartsEveryForwardOfTheCluster) {
  const size_t spawned = launcher_.spawnCount();
  auto outcome = change();
  connections_[0]->move(relay::Direction::kToClient, "bytes still arrive");
  checker_.answer(upFrom("10.8.0.2"));  // the VPN came up: the API server is reached through it
  dispatcher_.runPosted();
  EXPECT_EQ(outcome->restarted, 2u);
  EXPECT_EQ(outcome->kept, 0u);
  EXPECT_EQ(children_[0]->terminate_calls, 1) << "no drain: its connection went the old way";
  EXPECT_EQ(children_[1]->terminate_calls, 1);
  dispatcher_.advance(milliseconds(5));
  EXPECT_EQ(launcher_.spawnCount(), spawned + 2);
}

TEST_F(NetworkChangeTest, AClusterGoneAfterTheChangeMakesItsForwardsWaitForIt) {
  auto outcome = change();
  checker_.answer({.up = false, .reason = "connection refused on 10.0.0.1:6443"});
  dispatcher_.runPosted();
  EXPECT_EQ(outcome->restarted, 2u);
  for (const auto& forward : forwards_) {
    EXPECT_TRUE(forward->waitingForCluster()) << forward->name();
    EXPECT_EQ(forward->state(), ForwardState::kBackoff) << forward->name();
  }
}

TEST_F(NetworkChangeTest, AnAnswerToACheckStartedBeforeTheChangeDecidesNothing) {
  clusters_.checkAll("an earlier look");
  auto outcome = change();
  checker_.answer(upFrom("192.168.1.5"));  // the earlier look's answer
  dispatcher_.runPosted();
  EXPECT_EQ(outcome->restarted + outcome->kept, 0u);
  checker_.answer(upFrom("10.8.0.2"));
  dispatcher_.runPosted();
  EXPECT_EQ(outcome->restarted, 2u);
}

}  // namespace
}  // namespace pfd::core
