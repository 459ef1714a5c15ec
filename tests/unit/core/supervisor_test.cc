#include "daemon/core/supervisor.h"

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RecordingListener : public SupervisorListener {
 public:
  void onStateChanged(const Forward& forward, ForwardState, const std::string&) override {
    changes.push_back(forward.name() + "=" + std::string(forwardStateName(forward.state())));
  }
  void onLogLine(const Forward&, const LogLine&) override { lines++; }
  void onProbeChanged(const Forward& forward, const std::string& text) override {
    changes.push_back(forward.name() + ": " + text);
  }
  std::vector<std::string> changes;
  int lines = 0;
};

// Walks every forward on each state change, as the systemd STATUS line does ("3/4 forwards
// ready"), and records what it saw.
class WalkingListener : public SupervisorListener {
 public:
  explicit WalkingListener(const Supervisor& supervisor) : supervisor_(supervisor) {}
  void onStateChanged(const Forward& forward, ForwardState, const std::string&) override {
    std::vector<std::string> seen;
    for (const Forward* each : supervisor_.forwards()) {
      seen.push_back(each == nullptr ? "(null)" : each->name());
    }
    walks.push_back(forward.name() + "=" + std::string(forwardStateName(forward.state())) + ": " +
                    absl::StrJoin(seen, ","));
  }
  void onLogLine(const Forward&, const LogLine&) override {}
  std::vector<std::string> walks;

 private:
  const Supervisor& supervisor_;
};

class SupervisorTest : public ForwardTestBase {
 protected:
  static ForwardSpec spec(const std::string& name, uint16_t port) {
    ForwardSpec result = kubectlSpec();
    result.name = name;
    result.target = "pod/" + name;
    result.ports = {{port, "80"}};
    return result;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (Forward* forward : supervisor_.forwards()) {
      result.push_back(forward->name());
    }
    return result;
  }

  Supervisor supervisor_{context_};
};

TEST_F(SupervisorTest, StartsEveryEnabledForwardInConfigOrder) {
  ForwardSpec off = spec("off", 3);
  off.enabled = false;
  ReconcileResult result = supervisor_.reconcile({spec("a", 1), spec("b", 2), off});
  EXPECT_THAT(result.added, ElementsAre("a", "b", "off"));
  EXPECT_THAT(names(), ElementsAre("a", "b", "off"));
  EXPECT_EQ(launcher_.spawnCount(), 2u);
}

TEST_F(SupervisorTest, ReconcileLeavesUnchangedForwardsUntouched) {
  supervisor_.reconcile({spec("a", 1), spec("b", 2), spec("c", 3)});
  const pid_t a_pid = supervisor_.forwards()[0]->pid();
  ForwardSpec b_changed = spec("b", 2);
  b_changed.namespace_name = "shop";
  ReconcileResult result = supervisor_.reconcile({spec("a", 1), b_changed, spec("d", 4)});
  dispatcher_.runPosted();
  EXPECT_THAT(result.unchanged, ElementsAre("a"));
  EXPECT_THAT(result.changed, ElementsAre("b"));
  EXPECT_THAT(result.removed, ElementsAre("c"));
  EXPECT_THAT(result.added, ElementsAre("d"));
  EXPECT_THAT(names(), ElementsAre("a", "b", "d"));
  EXPECT_EQ(supervisor_.forwards()[0]->pid(), a_pid);
  EXPECT_EQ(launcher_.children()[0]->terminate_calls, 0);
  EXPECT_EQ(launcher_.children()[1]->terminate_calls, 1) << "b restarted on its new spec";
  EXPECT_EQ(launcher_.children()[2]->terminate_calls, 1) << "c removed";
  EXPECT_TRUE(launcher_.children()[2]->destroyed) << "c is gone once its child exited";
}

TEST_F(SupervisorTest, ReconcileWithTheSameListChangesNothing) {
  supervisor_.reconcile({spec("a", 1), spec("b", 2)});
  ReconcileResult result = supervisor_.reconcile({spec("a", 1), spec("b", 2)});
  EXPECT_THAT(result.unchanged, ElementsAre("a", "b"));
  EXPECT_THAT(result.added, IsEmpty());
  EXPECT_EQ(launcher_.spawnCount(), 2u);
}

TEST_F(SupervisorTest, ReconcileRetriesAFailedForwardEvenWhenItsSpecIsUnchanged) {
  launcher_.failNextSpawn(absl::NotFoundError("kubectl: program not found on PATH (/usr/bin)"));
  supervisor_.reconcile({spec("a", 1), spec("b", 2)});
  ASSERT_EQ(supervisor_.forwards()[0]->state(), ForwardState::kFailed);
  ReconcileResult result = supervisor_.reconcile({spec("a", 1), spec("b", 2)});
  EXPECT_THAT(result.unchanged, ElementsAre("a", "b"));
  EXPECT_EQ(supervisor_.forwards()[0]->state(), ForwardState::kStarting);
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_EQ(launcher_.children()[0]->terminate_calls, 0) << "b's child is left alone";
}

// A reload that changed (or retried) a forward after the first used to tell the listeners while
// the forwards already carried over were moved out of the list: the STATUS line then walked a
// null forward and pfd crashed (found by the chaos soak, tests/soak).
TEST_F(SupervisorTest, ListenersWalkingEveryForwardDuringAReloadSeeThemAll) {
  supervisor_.reconcile({spec("a", 1), spec("b", 2), spec("c", 3)});
  launcher_.last()->print("Forwarding from 127.0.0.1:1 -> 80");
  ASSERT_EQ(supervisor_.forwards()[2]->state(), ForwardState::kReady);
  WalkingListener listener(supervisor_);
  supervisor_.addListener(&listener);
  ForwardSpec c_changed = spec("c", 3);
  c_changed.namespace_name = "shop";
  supervisor_.reconcile({spec("a", 1), spec("b", 2), c_changed});
  supervisor_.removeListener(&listener);
  EXPECT_THAT(listener.walks, ElementsAre("c=STARTING: a,b,c"));
}

TEST_F(SupervisorTest, ListenersWalkingEveryForwardSeeThemAllWhenAReloadRetriesAFailedOne) {
  supervisor_.reconcile({spec("a", 1)});
  launcher_.failNextSpawn(absl::NotFoundError("kubectl: program not found on PATH (/usr/bin)"));
  supervisor_.reconcile({spec("a", 1), spec("b", 2)});
  ASSERT_EQ(supervisor_.forwards()[1]->state(), ForwardState::kFailed);
  WalkingListener listener(supervisor_);
  supervisor_.addListener(&listener);
  supervisor_.reconcile({spec("a", 1), spec("b", 2)});
  supervisor_.removeListener(&listener);
  EXPECT_THAT(listener.walks, ElementsAre("b=STARTING: a,b"));
}

TEST_F(SupervisorTest, FindReportsUnknownNamesWithTheKnownOnes) {
  supervisor_.reconcile({spec("web", 1), spec("db", 2)});
  EXPECT_THAT(
      supervisor_.find({"nope"}, false),
      StatusIs(absl::StatusCode::kNotFound, "no forward named nope; known forwards: web, db"));
  auto found = supervisor_.find({"db", "db"}, false);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0]->name(), "db");
  EXPECT_EQ(supervisor_.find({}, true)->size(), 2u);
  EXPECT_TRUE(supervisor_.find({}, false)->empty());
}

TEST_F(SupervisorTest, ShutdownFinishesOnceEveryChildExited) {
  launcher_.setExitOnTerminate(false);
  supervisor_.reconcile({spec("a", 1), spec("b", 2)});
  bool done = false;
  supervisor_.shutdown([&] { done = true; });
  EXPECT_FALSE(done);
  launcher_.children()[0]->exit(0, 15);
  EXPECT_FALSE(done);
  launcher_.children()[1]->exit(0, 15);
  EXPECT_TRUE(done);
  dispatcher_.runPosted();
  EXPECT_TRUE(supervisor_.forwards().empty());
}

TEST_F(SupervisorTest, ARenamedForwardTakesOverItsHeldPortAtOnce) {
  launcher_.setExitOnTerminate(false);
  supervisor_.reconcile({spec("web", 8080)});
  supervisor_.reconcile({spec("frontend", 8080)});
  EXPECT_TRUE(relay_.listening("127.0.0.1", 8080));
  ASSERT_EQ(launcher_.spawnCount(), 2u) << "no wait for the old kubectl: it is not on 8080";
  EXPECT_TRUE(launcher_.children()[0]->alive);
  EXPECT_EQ(supervisor_.forwards()[0]->state(), ForwardState::kStarting);
  EXPECT_TRUE(supervisor_.forwards()[0]->lastError().empty());
}

TEST_F(SupervisorTest, ARenamedForwardWhoseKubectlBindsThePortWaitsForTheOldChild) {
  launcher_.setExitOnTerminate(false);
  ForwardSpec old_spec = spec("web", 8080);
  old_spec.hold_port = false;
  ForwardSpec new_spec = spec("frontend", 8080);
  new_spec.hold_port = false;
  supervisor_.reconcile({old_spec});
  supervisor_.reconcile({new_spec});
  EXPECT_EQ(launcher_.spawnCount(), 1u) << "the old kubectl still binds 8080";
  launcher_.children()[0]->exit(0, 15);
  ASSERT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_EQ(supervisor_.forwards()[0]->state(), ForwardState::kStarting);
}

TEST_F(SupervisorTest, ShutdownWithNothingRunningFinishesAtOnce) {
  bool done = false;
  supervisor_.shutdown([&] { done = true; });
  EXPECT_TRUE(done);
}

TEST_F(SupervisorTest, ListenersHearStateChangesAndLines) {
  RecordingListener listener;
  supervisor_.addListener(&listener);
  supervisor_.reconcile({spec("a", 1)});
  launcher_.last()->print("Forwarding from 127.0.0.1:1 -> 80");
  EXPECT_THAT(listener.changes, ElementsAre("a=STARTING", "a=READY"));
  EXPECT_GT(listener.lines, 0);
  supervisor_.removeListener(&listener);
  launcher_.last()->exit(1);
  EXPECT_EQ(listener.changes.size(), 2u);
}

TEST_F(SupervisorTest, ListenersHearProbeFlipsThatKeepTheState) {
  RecordingListener listener;
  supervisor_.addListener(&listener);
  ForwardSpec probed = spec("a", 1);
  probed.readiness = ProbeSpec{.kind = ProbeSpec::Kind::kTcpSocket,
                               .port = 1,
                               .period = std::chrono::seconds(1),
                               .failure_threshold = 5};
  supervisor_.reconcile({probed});
  launcher_.last()->print("Forwarding from 127.0.0.1:1 -> 80");
  dispatcher_.advance(std::chrono::milliseconds(1000));
  prober_.completeAll(testing::probeSuccess("connected"));
  dispatcher_.advance(std::chrono::milliseconds(1000));
  prober_.completeAll(testing::probeFailure("connection refused on 127.0.0.1:1"));
  EXPECT_THAT(listener.changes,
              ElementsAre("a=STARTING", "a: readiness probe passed: connected", "a=READY",
                          "a: readiness probe failed: connection refused on 127.0.0.1:1"));
}

}  // namespace
}  // namespace pfd::core
