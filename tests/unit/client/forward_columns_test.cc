#include "client/render/forward_columns.h"

#include "client/render/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/client/test_forwards.h"

namespace pfd::client {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(ForwardColumnsTest, TableHeaderIsKubectlLike) {
  EXPECT_THAT(
      forwardHeader(TableView::kTable),
      ElementsAre("NAME", "TARGET", "PORTS", "STATE", "POD", "RESTARTS", "AGE", "LAST ERROR"));
}

TEST(ForwardColumnsTest, WideHeaderAddsDetailsBeforeTheLastError) {
  EXPECT_THAT(
      forwardHeader(TableView::kWide),
      ElementsAre("NAME", "TARGET", "PORTS", "STATE", "POD", "RESTARTS", "AGE", "NAMESPACE",
                  "CONTEXT", "PID", "NEXT RETRY", "PROBE", "CONNECTIONS", "TRAFFIC", "LAST ERROR"));
}

TEST(ForwardColumnsTest, ConnectionsAndTrafficOfHeldPorts) {
  pfd::v1::Forward forward = fixtures::readyWebForward();
  EXPECT_EQ(connectionsText(forward), "<none>") << "pfd does not hold its ports";
  EXPECT_EQ(trafficText(forward), "<none>");
  pfd::v1::ConnectionCounters* c = forward.mutable_connections();
  c->set_active(2);
  c->set_accepted(40);
  EXPECT_EQ(connectionsText(forward), "2 open, 40 total");
  c->set_held(1);
  c->set_dropped(3);
  c->set_failed(1);
  c->mutable_hold_p50()->set_nanos(80000000);
  c->mutable_hold_p99()->set_seconds(1);
  c->mutable_hold_p99()->set_nanos(200000000);
  EXPECT_EQ(connectionsText(forward),
            "2 open, 1 waiting, 40 total, 3 dropped, 1 failed, waited p50 80ms p99 1.2s");
  c->set_bytes_in(512);
  c->set_bytes_out(15300000);
  EXPECT_EQ(trafficText(forward), "512 B in, 15 MB out");
  c->set_bytes_in(1530);
  EXPECT_EQ(trafficText(forward), "1.5 kB in, 15 MB out");
  pfd::v1::DrainingPod* draining = forward.add_draining();
  draining->set_pod("web-0");
  draining->set_connections(2);
  EXPECT_THAT(connectionsText(forward), ::testing::HasSubstr("1 failed, 2 draining on web-0"));
}

TEST(ForwardColumnsTest, AReadyForwardsNoteTakesThePlaceOfItsLastError) {
  pfd::v1::Forward forward = fixtures::readyWebForward();
  forward.set_last_error("lost connection to pod web-1");
  EXPECT_EQ(forwardRow(forward, TableView::kTable, kNow).back().text,
            "lost connection to pod web-1");
  forward.set_note("pod web-2 is not Ready; forwarding anyway");
  EXPECT_EQ(forwardRow(forward, TableView::kTable, kNow).back().text,
            "pod web-2 is not Ready; forwarding anyway");
}

TEST(ForwardColumnsTest, APodSwitchShowsBothPods) {
  pfd::v1::Forward forward = fixtures::readyWebForward();
  const std::string pod = forward.pod();
  EXPECT_EQ(podText(forward, kNow), pod);
  forward.mutable_switch_()->set_from_pod(pod);
  EXPECT_EQ(podText(forward, kNow), pod + " -> (no Ready pod yet)");
  forward.mutable_switch_()->set_to_pod("web-new");
  EXPECT_EQ(podText(forward, kNow), pod + " -> web-new");
  EXPECT_EQ(forwardRow(forward, TableView::kTable, kNow)[4].text, pod + " -> web-new");
}

TEST(ForwardColumnsTest, AnIdleForwardSaysWhenItLastServed) {
  pfd::v1::Forward forward = fixtures::readyWebForward();
  forward.set_state(pfd::v1::FORWARD_STATE_IDLE);
  EXPECT_EQ(podText(forward, kNow), "(idle, never served)");
  forward.mutable_last_served_time()->set_seconds(absl::ToUnixSeconds(kNow) - 300);
  EXPECT_EQ(podText(forward, kNow), "(idle, last served 5m ago)");
  EXPECT_EQ(stateName(forward.state()), "IDLE");
}

TEST(ForwardColumnsTest, WatchHeaderAddsTheReason) {
  EXPECT_THAT(forwardHeader(TableView::kWatch),
              ElementsAre("NAME", "TARGET", "PORTS", "STATE", "POD", "RESTARTS", "AGE", "REASON",
                          "LAST ERROR"));
}

TEST(ForwardColumnsTest, TableRowShowsEveryColumn) {
  const Row row = forwardRow(fixtures::readyWebForward(), TableView::kTable, kNow);
  EXPECT_THAT(row, ElementsAre(Field(&Cell::text, "web"), Field(&Cell::text, "deployment/web"),
                               Field(&Cell::text, "8080:8000,9090"), Field(&Cell::text, "READY"),
                               Field(&Cell::text, "web-7d4b9c-x2x"), Field(&Cell::text, "0"),
                               Field(&Cell::text, "3m12s"), Field(&Cell::text, "<none>")));
}

TEST(ForwardColumnsTest, WideRowShowsNamespaceContextPidRetryAndProbe) {
  const Row row = forwardRow(fixtures::backoffDbForward(kNow), TableView::kWide, kNow);
  ASSERT_EQ(row.size(), 15u);
  EXPECT_EQ(row[7].text, "<none>");  // no namespace for a command forward
  EXPECT_EQ(row[8].text, "<none>");
  EXPECT_EQ(row[9].text, "<none>");  // no child while in BACKOFF
  EXPECT_EQ(row[10].text, "in 3s");
  EXPECT_EQ(row[11].text, "HTTP 503 12ms 50s ago");
  EXPECT_EQ(row[12].text, "<none>");  // a command forward binds its own ports: no connections
  EXPECT_EQ(row[13].text, "<none>");
  EXPECT_EQ(row[14].text, "exited with code 1: unable to forward port because pod is not running");
}

TEST(ForwardColumnsTest, EventRowCarriesTheReason) {
  pfd::v1::ForwardEvent event;
  *event.mutable_forward() = fixtures::readyWebForward();
  event.set_reason("probe passed");
  const Row row = eventRow(event, kNow);
  ASSERT_EQ(row.size(), 9u);
  EXPECT_EQ(row[7].text, "probe passed");
  EXPECT_EQ(row[8].text, "<none>");
}

TEST(ForwardColumnsTest, StateNameDropsThePrefix) {
  EXPECT_EQ(stateName(pfd::v1::FORWARD_STATE_READY), "READY");
  EXPECT_EQ(stateName(pfd::v1::FORWARD_STATE_BACKOFF), "BACKOFF");
  EXPECT_EQ(stateName(pfd::v1::FORWARD_STATE_UNSPECIFIED), "UNKNOWN");
  EXPECT_EQ(stateName(static_cast<pfd::v1::ForwardState>(42)), "UNKNOWN(42)");
}

TEST(ForwardColumnsTest, StateColourSaysHowWorriedToBe) {
  EXPECT_EQ(stateColor(pfd::v1::FORWARD_STATE_READY), Color::kGreen);
  EXPECT_EQ(stateColor(pfd::v1::FORWARD_STATE_STARTING), Color::kYellow);
  EXPECT_EQ(stateColor(pfd::v1::FORWARD_STATE_BACKOFF), Color::kYellow);
  EXPECT_EQ(stateColor(pfd::v1::FORWARD_STATE_FAILED), Color::kRed);
  EXPECT_EQ(stateColor(pfd::v1::FORWARD_STATE_UNHEALTHY), Color::kRed);
  EXPECT_EQ(stateColor(pfd::v1::FORWARD_STATE_STOPPED), Color::kNone);
}

TEST(ForwardColumnsTest, TargetOfACommandForwardIsTheQuotedCommandLine) {
  EXPECT_EQ(targetText(fixtures::backoffDbForward(kNow)), "socat TCP-LISTEN:5432 'EXEC:ssh db nc'");
  pfd::v1::Forward quote;
  quote.add_command("echo");
  quote.add_command("it's");
  EXPECT_EQ(targetText(quote), "echo 'it'\\''s'");
  EXPECT_EQ(targetText(pfd::v1::Forward()), "<none>");
}

TEST(ForwardColumnsTest, PortsShowOneNumberWhenLocalAndRemoteAgree) {
  pfd::v1::Forward forward;
  EXPECT_EQ(portsText(forward), "<none>");
  auto* named = forward.add_ports();
  named->set_local_port(8443);
  named->set_remote_port("https");
  auto* random_local = forward.add_ports();
  random_local->set_remote_port("7000");
  EXPECT_EQ(portsText(forward), "8443:https,:7000");
}

TEST(ForwardColumnsTest, AgePrefersTheDaemonsTimeInState) {
  pfd::v1::Forward forward;
  EXPECT_EQ(ageText(forward, kNow), "<none>");
  toProto(kNow - absl::Hours(5), forward.mutable_state_since());
  EXPECT_EQ(ageText(forward, kNow), "5h");
  toProto(absl::Hours(48), forward.mutable_time_in_state());
  EXPECT_EQ(ageText(forward, kNow), "2d");
}

TEST(ForwardColumnsTest, NextRetryCountsDownToNow) {
  pfd::v1::Forward forward;
  EXPECT_EQ(nextRetryText(forward, kNow), "<none>");
  toProto(kNow + absl::Milliseconds(2500), forward.mutable_next_retry_time());
  EXPECT_EQ(nextRetryText(forward, kNow), "in 3s");
  EXPECT_EQ(nextRetryText(forward, kNow + absl::Seconds(10)), "now");
}

TEST(ForwardColumnsTest, ProbeShowsOkOrTheFailureWithLatencyAndAge) {
  EXPECT_EQ(probeText(fixtures::readyWebForward(), kNow + absl::Seconds(4)), "ok 3ms 4s ago");
  EXPECT_EQ(probeText(fixtures::backoffDbForward(kNow), kNow), "HTTP 503 12ms 50s ago");
  EXPECT_EQ(probeText(fixtures::readyWebForward(), kNow - absl::Seconds(1)), "ok 3ms 0s ago")
      << "a probe time ahead of the client's clock";
  pfd::v1::Forward no_probe;
  EXPECT_EQ(probeText(no_probe, kNow), "<none>");
  pfd::v1::Forward not_run_yet;
  not_run_yet.mutable_readiness()->set_kind("tcpSocket");
  EXPECT_EQ(probeText(not_run_yet, kNow), "pending");
}

}  // namespace
}  // namespace pfd::client
