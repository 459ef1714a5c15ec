#include "client/render/live_view.h"

#include <string>

#include "client/render/proto_time.h"
#include "client/render/table_line.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::client {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

pfd::v1::ForwardEvent event(const std::string& name, pfd::v1::ForwardState state,
                            const std::string& reason = "") {
  pfd::v1::ForwardEvent event;
  event.mutable_forward()->set_name(name);
  event.mutable_forward()->set_state(state);
  event.mutable_forward()->set_pod(name + "-pod");
  toProto(kNow - absl::Minutes(3), event.mutable_forward()->mutable_state_since());
  event.set_reason(reason);
  return event;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) {
    text += line + "\n";
  }
  return text;
}

TEST(LiveViewTest, AFrameFillsTheScreenWithARowPerForwardAndTotals) {
  LiveView view;
  view.apply(event("web", pfd::v1::FORWARD_STATE_READY, "forwarding 8080"));
  view.apply(event("db", pfd::v1::FORWARD_STATE_BACKOFF, "lost connection to pod"));
  view.apply(event("cache", pfd::v1::FORWARD_STATE_IDLE));
  const std::vector<std::string> lines = view.frame(100, 10, false, kNow);
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_THAT(lines[0], StartsWith("pfd: 3 forwards"));
  EXPECT_THAT(lines[1], StartsWith("  NAME   STATE    POD"));
  EXPECT_THAT(lines[2], ContainsRegex("^> web    READY    web-pod +3m   0 "));
  EXPECT_THAT(lines[2], HasSubstr("forwarding 8080"));
  EXPECT_THAT(lines[3], StartsWith("  db     BACKOFF"));
  EXPECT_EQ(lines[5], "");
  EXPECT_EQ(lines[9], "1 ready, 1 backoff, 1 idle");
}

TEST(LiveViewTest, ALaterEventReplacesTheRowNotAppendsOne) {
  LiveView view;
  view.apply(event("web", pfd::v1::FORWARD_STATE_STARTING, "started pid 7"));
  view.apply(event("web", pfd::v1::FORWARD_STATE_READY, "forwarding 8080"));
  EXPECT_EQ(view.size(), 1u);
  const std::string frame = joined(view.frame(100, 6, false, kNow));
  EXPECT_THAT(frame, HasSubstr("READY"));
  EXPECT_THAT(frame, Not(HasSubstr("STARTING")));
}

TEST(LiveViewTest, NoLineIsWiderThanTheScreenAndTheReasonIsCut) {
  LiveView view;
  view.apply(event("web", pfd::v1::FORWARD_STATE_BACKOFF, std::string(300, 'x')));
  for (const std::string& line : view.frame(60, 5, false, kNow)) {
    EXPECT_LE(displayWidth(line), 60u) << line;
  }
  EXPECT_THAT(view.frame(60, 5, false, kNow)[2], testing::EndsWith("..."));
}

TEST(LiveViewTest, StateIsColouredAndTheSelectionReversedOnlyWithColour) {
  LiveView view;
  view.apply(event("web", pfd::v1::FORWARD_STATE_READY));
  EXPECT_THAT(view.frame(80, 5, true, kNow)[2], HasSubstr("\x1b[32mREADY\x1b[39m"));
  EXPECT_THAT(view.frame(80, 5, true, kNow)[2], StartsWith("\x1b[7m> web"));
  EXPECT_THAT(joined(view.frame(80, 5, false, kNow)), Not(HasSubstr("\x1b")));
}

TEST(LiveViewTest, SelectionMovesWithinTheRowsAndScrollsIntoView) {
  LiveView view;
  for (int i = 0; i < 20; ++i) {
    view.apply(event("f" + std::to_string(100 + i), pfd::v1::FORWARD_STATE_READY));
  }
  EXPECT_EQ(view.selectedName(), "f100");
  view.moveSelection(-1);
  EXPECT_EQ(view.selectedName(), "f100");
  view.moveSelection(15);
  EXPECT_EQ(view.selectedName(), "f115");
  const std::vector<std::string> lines = view.frame(80, 8, false, kNow);  // room for 5 rows
  EXPECT_THAT(lines[6], StartsWith("> f115"));
  EXPECT_THAT(lines[7], HasSubstr("rows 12-16 of 20"));
  view.moveSelection(100);
  EXPECT_EQ(view.selectedName(), "f119");
}

TEST(LiveViewTest, BytesPerSecondComesFromTwoRefreshesOfTheCounters) {
  LiveView view;
  pfd::v1::ListForwardsResponse list;
  pfd::v1::Forward* web = list.add_forwards();
  web->set_name("web");
  web->set_state(pfd::v1::FORWARD_STATE_READY);
  web->mutable_connections()->set_active(3);
  web->mutable_connections()->set_bytes_in(1000);
  web->mutable_connections()->set_bytes_out(9000);
  pfd::v1::Forward* plain = list.add_forwards();
  plain->set_name("plain");
  view.refresh(list, kNow);
  EXPECT_THAT(view.frame(100, 5, false, kNow)[2], HasSubstr("  3  "));
  web->mutable_connections()->set_bytes_out(2'009'000);
  view.refresh(list, kNow + absl::Seconds(2));
  EXPECT_THAT(view.frame(100, 5, false, kNow)[2], HasSubstr("1.0 MB/s"));
  EXPECT_THAT(view.frame(100, 5, false, kNow)[3], HasSubstr("  -  "));
  list.mutable_forwards()->DeleteSubrange(1, 1);
  view.refresh(list, kNow + absl::Seconds(3));
  EXPECT_EQ(view.size(), 1u) << "removed by a reload";
}

TEST(LiveViewTest, AStateEventKeepsTheCountersTheRefreshBrought) {
  LiveView view;
  pfd::v1::ListForwardsResponse list;
  pfd::v1::Forward* web = list.add_forwards();
  web->set_name("web");
  web->mutable_connections()->set_active(4);
  view.refresh(list, kNow);
  view.apply(event("web", pfd::v1::FORWARD_STATE_READY));
  EXPECT_THAT(view.frame(100, 5, false, kNow)[2], HasSubstr("  4  "));
}

pfd::v1::ListForwardsResponse backoffWithCluster(pfd::v1::ClusterState state) {
  pfd::v1::ListForwardsResponse list;
  pfd::v1::Forward* web = list.add_forwards();
  web->set_name("web");
  web->set_state(pfd::v1::FORWARD_STATE_BACKOFF);
  pfd::v1::Cluster* cluster = list.add_clusters();
  cluster->set_context("fake-a");
  cluster->set_state(state);
  if (state == pfd::v1::CLUSTER_STATE_DOWN) {
    cluster->set_reason("connection refused on 127.0.0.1:6443");
    toProto(kNow - absl::Seconds(12), cluster->mutable_since());
    toProto(kNow + absl::Milliseconds(1200), cluster->mutable_next_check_time());
  }
  pfd::v1::Cluster* healthy = list.add_clusters();
  healthy->set_context("fake-b");
  healthy->set_state(pfd::v1::CLUSTER_STATE_UP);
  return list;
}

TEST(LiveViewTest, ADownClusterShowsInTheFooterUntilItIsUpAgain) {
  LiveView view;
  view.refresh(backoffWithCluster(pfd::v1::CLUSTER_STATE_DOWN), kNow);
  EXPECT_EQ(view.frame(120, 5, false, kNow).back(),
            "1 backoff   cluster fake-a down for 12s: connection refused on 127.0.0.1:6443 "
            "(next check in 2s)");
  view.refresh(backoffWithCluster(pfd::v1::CLUSTER_STATE_UP), kNow + absl::Seconds(1));
  EXPECT_EQ(view.frame(120, 5, false, kNow + absl::Seconds(1)).back(), "1 backoff");
}

TEST(LiveViewTest, TheFooterCountsTheOtherDownClustersAndFitsTheWidth) {
  LiveView view;
  pfd::v1::ListForwardsResponse list = backoffWithCluster(pfd::v1::CLUSTER_STATE_DOWN);
  list.mutable_clusters(1)->set_state(pfd::v1::CLUSTER_STATE_DOWN);
  list.mutable_clusters(1)->set_reason("timed out");
  view.refresh(list, kNow);
  EXPECT_THAT(view.clusterHealth(kNow),
              testing::EndsWith("(next check in 2s), 1 more cluster down"));
  view.setMessage("restarted web");
  const std::string footer = view.frame(50, 5, false, kNow).back();
  EXPECT_LE(displayWidth(footer), 50u);
  EXPECT_THAT(footer, StartsWith("1 backoff   restarted web   cluster fake-a down"));
}

TEST(LiveViewTest, AClusterBeingCheckedIsNotDown) {
  LiveView view;
  view.refresh(backoffWithCluster(pfd::v1::CLUSTER_STATE_CHECKING), kNow);
  EXPECT_EQ(view.clusterHealth(kNow), "");
}

TEST(LiveViewTest, RateText) {
  EXPECT_EQ(rateText(std::nullopt), "-");
  EXPECT_EQ(rateText(0), "0 B/s");
  EXPECT_EQ(rateText(1500), "1.5 kB/s");
  EXPECT_EQ(rateText(25'000'000), "25 MB/s");
}

}  // namespace
}  // namespace pfd::client
