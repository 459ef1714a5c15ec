// What a forward records for pfctl describe: its events (transitions, probe flips, pod switches,
// dropped connections), the child's command line, the probe's last results and why its pod.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Type = HistoryEvent::Type;

class ForwardEventsTest : public ForwardTestBase {
 protected:
  std::vector<std::string> reasons(const Forward& forward) const {
    std::vector<std::string> result;
    for (const HistoryEvent& event : forward.events().events()) {
      result.push_back(event.reason);
    }
    return result;
  }

  const HistoryEvent* find(const Forward& forward, const std::string& reason) const {
    events_ = forward.events().events();
    for (const HistoryEvent& event : events_) {
      if (event.reason == reason) {
        return &event;
      }
    }
    return nullptr;
  }

  void pod(const std::string& type, const std::string& name, bool terminating) {
    watch_->print(type + "  " + name + "  " + (terminating ? "terminating" : "live") +
                  "  Running  ready=True  labels=app=web,  created=2026-11-24T10:05:00Z  " +
                  "ports=http=8000,");
    dispatcher_.runPosted();
  }

  mutable std::vector<HistoryEvent> events_;
  PodWatchHub hub_{dispatcher_, launcher_, [] { return 0.0; }};
  testing::FakeChildPtr watch_;
};

TEST_F(ForwardEventsTest, TransitionsAreEventsWarningsWhenItStopsServing) {
  auto forward = makeForward(kubectlSpec());
  forward->activate();
  printForwarding(*launcher_.last(), forward->spec());
  launcher_.last()->printError("error: lost connection to pod");
  dispatcher_.runPosted();
  ASSERT_EQ(forward->state(), ForwardState::kBackoff);
  EXPECT_THAT(reasons(*forward), ElementsAre("Starting", "Ready", "BackOff"));
  const std::vector<HistoryEvent> events = forward->events().events();
  EXPECT_EQ(events[1].type, Type::kNormal);
  EXPECT_THAT(events[1].message, HasSubstr("STARTING -> READY: forwarding 8080:8000"));
  EXPECT_EQ(events[2].type, Type::kWarning);
  EXPECT_THAT(events[2].message, HasSubstr("lost connection to pod"));
  EXPECT_EQ(events[2].first_time, dispatcher_.systemTime());
}

TEST_F(ForwardEventsTest, TheChildsCommandLineIsKnownWhileItRuns) {
  auto forward = makeForward(kubectlSpec());
  EXPECT_THAT(forward->childArgv(), IsEmpty());
  forward->activate();
  EXPECT_EQ(forward->childArgv(), launcher_.last()->spec.argv);
  EXPECT_THAT(forward->childArgv(), Contains("port-forward"));
  forward->stop();
  dispatcher_.runPosted();
  EXPECT_THAT(forward->childArgv(), IsEmpty());
  EXPECT_THAT(reasons(*forward), ElementsAre("Starting", "Stopped"));
}

TEST_F(ForwardEventsTest, AProbeThatFlipsIsAnEventAndItsLastResultsAreKept) {
  ForwardSpec spec = kubectlSpec();
  spec.readiness = ProbeSpec{.kind = ProbeSpec::Kind::kHttpGet,
                             .port = 8080,
                             .period = seconds(10),
                             .failure_threshold = 3};
  auto forward = makeForward(spec);
  forward->activate();
  printForwarding(*launcher_.last(), spec);
  dispatcher_.advance(milliseconds(0));
  prober_.completeAll(testing::probeSuccess());
  for (int i = 0; i < 14; ++i) {
    dispatcher_.advance(seconds(10));
    prober_.completeAll(i == 5 ? testing::probeFailure("HTTP 503 from /")
                               : testing::probeSuccess());
  }
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_THAT(reasons(*forward), ElementsAre("Starting", "Ready", "ProbeFailed", "ProbePassed"));
  const HistoryEvent* failed = find(*forward, "ProbeFailed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->type, Type::kWarning);
  EXPECT_EQ(failed->message, "readiness probe failed: HTTP 503 from /");
  ASSERT_EQ(forward->probeHistory().size(), Forward::kProbeHistory);
  EXPECT_TRUE(forward->probeHistory().back().result.success);
  EXPECT_EQ(forward->probeHistory().back().time, dispatcher_.systemTime());
}

TEST_F(ForwardEventsTest, HeldConnectionsDroppedAtHoldTimeoutAreAWarning) {
  ForwardSpec spec = kubectlSpec();
  spec.hold_timeout = seconds(2);
  auto forward = makeForward(spec);
  forward->activate();
  auto first = relay_.connect("127.0.0.1", 8080);
  ASSERT_NE(first, nullptr);
  dispatcher_.advance(seconds(2));
  dispatcher_.runPosted();
  const HistoryEvent* dropped = find(*forward, "ConnectionsDropped");
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->type, Type::kWarning);
  EXPECT_THAT(dropped->message, HasSubstr("1 connection waited 2s (holdTimeout)"));
}

TEST_F(ForwardEventsTest, APodSwitchIsAnEventAndThePodSaysWhyItWasChosen) {
  context_.pod_watches = &hub_;
  ForwardSpec spec = kubectlSpec();
  spec.target = "deployment/web";
  auto forward = makeForward(spec);
  forward->activate();
  watch_ = launcher_.children()[0];
  pod("ADDED", "web-0", false);
  answer("Deployment\napp=web,\n\n\n");
  pastTheListingWait();  // kubectl tells the pods
  answer(
      "web-0\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,\n"
      "web-9\t2026-11-24T10:00:00Z\tterminating\tRunning\tTrue\thttp=8000,\n");
  printForwarding(*launcher_.last(), spec);
  ASSERT_EQ(forward->state(), ForwardState::kReady);
  EXPECT_EQ(forward->podReason(), "the only Ready pod of deployment/web (1 terminating skipped)");
  listed(*watch_);

  pod("ADDED", "web-1", false);
  pod("MODIFIED", "web-0", true);
  printForwarding(*launcher_.last(), spec, 41000);
  ASSERT_EQ(forward->pod(), "web-1");
  const HistoryEvent* switched = find(*forward, "PodSwitched");
  ASSERT_NE(switched, nullptr);
  EXPECT_EQ(switched->type, Type::kNormal);
  EXPECT_THAT(switched->message, HasSubstr("switched from pod web-0 to pod web-1"));
  EXPECT_EQ(forward->podReason(), "the only Ready pod of deployment/web (1 terminating skipped)");
}

TEST_F(ForwardEventsTest, ClusterEventsCanBeRecordedOnTheForward) {
  auto forward = makeForward(kubectlSpec());
  forward->events().recordClusterDown(dispatcher_.systemTime(), "connection refused");
  EXPECT_THAT(reasons(*forward), ElementsAre("ClusterDown"));
}

}  // namespace
}  // namespace pfd::core
