// A cluster's health: one check for every forward that failed on it, repeated while it is down,
// and every waiting forward told at once when it answers again.
#include "daemon/core/cluster.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_cluster_checker.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

const milliseconds kInterval = ClusterHub::Options{}.check_interval;

ClusterCheckResult down(std::string reason = "connection refused on 127.0.0.1:6443") {
  return {.up = false, .reason = std::move(reason), .context = "kind-dev"};
}
ClusterCheckResult up() { return {.up = true, .context = "kind-dev"}; }

class ClusterTest : public ::testing::Test {
 protected:
  struct Told {
    std::vector<std::string> downs;
    std::vector<bool> ups;
  };
  Cluster::WaitCallbacks record(Told& told) {
    return {.on_down = [&told](const std::string& text) { told.downs.push_back(text); },
            .on_up = [&told](bool was_down) { told.ups.push_back(was_down); }};
  }
  ForwardSpec spec() { return ForwardSpec{.name = "web", .target = "deployment/web"}; }

  testing::SimulatedDispatcher dispatcher_;
  testing::FakeClusterChecker checker_;
  ClusterHub hub_{dispatcher_, checker_, ClusterHub::Options{}};
};

TEST_F(ClusterTest, ForwardsOfOneContextShareOneCluster) {
  auto a = hub_.acquire(spec());
  ForwardSpec other = spec();
  other.name = "api";
  auto b = hub_.acquire(other);
  other.context = "prod";
  auto c = hub_.acquire(other);
  EXPECT_EQ(&**a, &**b);
  EXPECT_NE(&**a, &**c);
  EXPECT_EQ(hub_.clusters().size(), 2u);
  c.reset();
  dispatcher_.runPosted();
  EXPECT_EQ(hub_.clusters().size(), 1u) << "a cluster goes with its last forward";
}

TEST_F(ClusterTest, ManySuspicionsMakeOneCheck) {
  auto ref = hub_.acquire(spec());
  std::vector<Told> told(20);
  std::vector<Cluster::WaitPtr> waits;
  for (Told& each : told) {
    waits.push_back((*ref)->suspect("API server unreachable: connection refused", record(each)));
  }
  EXPECT_EQ(checker_.checks.size(), 1u);
  EXPECT_EQ((*ref)->health(), ClusterHealth::kChecking);
  checker_.answer(down());
  dispatcher_.runPosted();
  EXPECT_EQ((*ref)->health(), ClusterHealth::kDown);
  for (const Told& each : told) {
    ASSERT_EQ(each.downs.size(), 1u);
    EXPECT_EQ(each.downs[0],
              "API server unreachable (context kind-dev): connection refused on 127.0.0.1:6443");
  }
}

TEST_F(ClusterTest, ADownClusterIsCheckedEveryIntervalUntilItAnswersThenEveryWaiterStarts) {
  EXPECT_EQ(kInterval, milliseconds(100));
  auto ref = hub_.acquire(spec());
  Told first, second;
  auto a = (*ref)->suspect("x", record(first));
  checker_.answer(down());
  dispatcher_.runPosted();
  auto b = (*ref)->waitIfNotUp(record(second));
  ASSERT_NE(b, nullptr);
  for (int i = 0; i < 100; ++i) {  // ten seconds of outage
    EXPECT_EQ(checker_.inFlight(), 0u);
    dispatcher_.advance(kInterval);
    ASSERT_EQ(checker_.inFlight(), 1u) << "check " << i;
    checker_.answer(down());
    dispatcher_.runPosted();
  }
  EXPECT_EQ(checker_.checks.size(), 101u) << "one check per interval, however many forwards wait";
  EXPECT_TRUE(first.ups.empty());
  dispatcher_.advance(kInterval);
  checker_.answer(up());
  EXPECT_EQ((*ref)->health(), ClusterHealth::kUp);
  EXPECT_EQ(first.ups, std::vector<bool>{true});
  EXPECT_EQ(second.ups, std::vector<bool>{true});
  EXPECT_EQ((*ref)->waiting(), 0u);
  dispatcher_.advance(milliseconds(5000));
  EXPECT_EQ(checker_.checks.size(), 102u) << "an up cluster is not checked";
}

TEST_F(ClusterTest, ACheckThatPassesAtOnceSaysTheFailureWasTheForwards) {
  auto ref = hub_.acquire(spec());
  Told told;
  auto wait = (*ref)->suspect("kubectl did not forward ports 8080 within 30s", record(told));
  checker_.answer(up());
  EXPECT_EQ(told.ups, std::vector<bool>{false});
  EXPECT_TRUE(told.downs.empty());
  EXPECT_TRUE((*ref)->up());
  EXPECT_EQ((*ref)->waitIfNotUp(record(told)), nullptr) << "an up cluster holds nobody";
}

TEST_F(ClusterTest, AHungServerIsCheckedAgainAsSoonAsTheCheckTimesOut) {
  auto ref = hub_.acquire(spec());
  Told told;
  auto wait = (*ref)->suspect("x", record(told));
  dispatcher_.advance(milliseconds(1000));  // the check's own timeout
  checker_.answer(down("timeout after 1s"));
  dispatcher_.runPosted();
  EXPECT_EQ(dispatcher_.nextTimerIn(), 0) << "the interval has long passed since it started";
  dispatcher_.advance(milliseconds(0));
  EXPECT_EQ(checker_.inFlight(), 1u);
}

TEST_F(ClusterTest, WhileDownChecksGoOutOnTimeEvenIfEarlierOnesHangAndTheFirstAnswerWins) {
  auto ref = hub_.acquire(spec());
  Told told;
  auto wait = (*ref)->suspect("x", record(told));
  checker_.answer(down());
  dispatcher_.runPosted();
  // The server now accepts and never answers: every check hangs until its timeout (1 s).
  const size_t cap = ClusterHub::Options{}.max_checks_in_flight;
  for (size_t i = 1; i <= cap + 3; ++i) {
    dispatcher_.advance(kInterval);
    EXPECT_EQ(checker_.inFlight(), std::min(i, cap)) << "after " << i << " intervals";
  }
  // The server answers again: the newest check sees it, while older ones still hang.
  auto newest = checker_.checks.back();
  auto done = std::move(newest->done);
  newest->done = nullptr;
  done(up());
  EXPECT_EQ(told.ups, std::vector<bool>{true});
  // An older check times out in the same turn, before its handle is let go: it is stale.
  checker_.answer(down("timeout after 1s"));
  EXPECT_EQ((*ref)->health(), ClusterHealth::kUp);
  dispatcher_.runPosted();
  EXPECT_EQ(checker_.inFlight(), 0u) << "the hung checks are cancelled once it is up";
  dispatcher_.advance(milliseconds(5000));
  EXPECT_EQ(checker_.inFlight(), 0u);
}

TEST_F(ClusterTest, ChecksThatNeedKubectlSlowDown) {
  auto ref = hub_.acquire(spec());
  Told told;
  auto wait = (*ref)->suspect("Unauthorized", record(told));
  std::vector<long long> delays;
  for (int i = 0; i < 10; ++i) {
    checker_.answer({.up = false, .reason = "Unauthorized", .used_kubectl = true});
    dispatcher_.runPosted();
    delays.push_back(dispatcher_.nextTimerIn());
    dispatcher_.advance(milliseconds(dispatcher_.nextTimerIn()));
  }
  EXPECT_EQ(delays.front(), kInterval.count());
  EXPECT_EQ(delays.back(), 30000) << "capped at max_check_interval";
  for (size_t i = 1; i < delays.size(); ++i) {
    EXPECT_GE(delays[i], delays[i - 1]);
  }
}

TEST_F(ClusterTest, NetworkChangeChecksADownClusterAtOnceAndAnUpOneQuietly) {
  auto ref = hub_.acquire(spec());
  hub_.checkAll("default route changed");
  ASSERT_EQ(checker_.inFlight(), 1u);
  EXPECT_TRUE((*ref)->up()) << "a look, not a suspicion: nobody waits for it";
  checker_.answer(down());
  dispatcher_.runPosted();
  EXPECT_EQ((*ref)->health(), ClusterHealth::kDown);
  hub_.checkAll("address added");
  EXPECT_EQ(checker_.inFlight(), 1u) << "no waiting for the interval";
  hub_.checkAll("again, while one is in flight");
  EXPECT_EQ(checker_.inFlight(), 2u) << "the answer in flight may predate the change: another";
}

TEST_F(ClusterTest, AWaiterThatLeavesIsNotTold) {
  auto ref = hub_.acquire(spec());
  Told told;
  auto wait = (*ref)->suspect("x", record(told));
  wait.reset();
  checker_.answer(down());
  dispatcher_.runPosted();
  dispatcher_.advance(kInterval);
  checker_.answer(up());
  EXPECT_TRUE(told.downs.empty());
  EXPECT_TRUE(told.ups.empty());
}

TEST_F(ClusterTest, TheContextIsNamedAsKubeconfigSaysWhenTheSpecNamesNone) {
  auto ref = hub_.acquire(spec());
  EXPECT_EQ((*ref)->contextPhrase(), "the current context");
  Told told;
  auto wait = (*ref)->suspect("x", record(told));
  checker_.answer(down("timeout after 1s"));
  EXPECT_EQ((*ref)->contextPhrase(), "context kind-dev");
  EXPECT_THAT((*ref)->downText(), HasSubstr("(context kind-dev): timeout after 1s"));
  ASSERT_TRUE((*ref)->nextCheck().has_value());
}

}  // namespace
}  // namespace pfd::core
