#include "client/render/describe_printer.h"

#include "client/render/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::client {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

pfd::v1::DescribeForwardResponse webDescription() {
  pfd::v1::DescribeForwardResponse d;
  pfd::v1::Forward* f = d.mutable_forward();
  f->set_name("web");
  f->set_target("deployment/web");
  f->set_namespace_("shop");
  f->set_address("127.0.0.1");
  f->set_state(pfd::v1::FORWARD_STATE_READY);
  f->set_pid(4242);
  f->set_pod("web-7f9c");
  f->set_hold_port(true);
  f->set_enabled(true);
  f->set_restarts(2);
  toProto(kNow - absl::Minutes(5), f->mutable_state_since());
  pfd::v1::PortMapping* port = f->add_ports();
  port->set_local_port(8080);
  port->set_remote_port("80");
  f->mutable_connections()->set_active(1);
  f->mutable_connections()->set_accepted(9);
  d.set_pod_reason("the newest of 2 Ready pods of deployment/web");
  d.add_command_line("kubectl");
  d.add_command_line("port-forward");
  d.add_command_line("pod/web-7f9c");
  toProto(absl::Milliseconds(500), d.mutable_backoff()->mutable_initial());
  toProto(absl::Seconds(30), d.mutable_backoff()->mutable_max());
  d.mutable_backoff()->set_multiplier(2);
  d.mutable_backoff()->set_jitter(0.2);
  toProto(absl::Minutes(1), d.mutable_backoff()->mutable_reset_after());
  pfd::v1::ProbeSettings* probe = d.mutable_probe();
  probe->set_kind("httpGet");
  probe->set_port(8080);
  probe->set_path("/healthz");
  probe->set_scheme("HTTP");
  toProto(absl::Seconds(10), probe->mutable_period());
  toProto(absl::Seconds(1), probe->mutable_timeout());
  probe->set_success_threshold(1);
  probe->set_failure_threshold(3);
  pfd::v1::ProbeResult* result = d.add_probe_results();
  result->set_success(false);
  result->set_message("HTTP 503 from /healthz");
  toProto(absl::Milliseconds(3), result->mutable_latency());
  toProto(kNow - absl::Seconds(4), result->mutable_time());
  pfd::v1::HistoryEvent* started = d.add_events();
  started->set_type(pfd::v1::EVENT_TYPE_NORMAL);
  started->set_reason("Ready");
  started->set_message("STARTING -> READY: forwarding 8080:80");
  toProto(kNow - absl::Minutes(5), started->mutable_first_time());
  toProto(kNow - absl::Minutes(5), started->mutable_last_time());
  started->set_count(1);
  pfd::v1::HistoryEvent* flapped = d.add_events();
  flapped->set_type(pfd::v1::EVENT_TYPE_WARNING);
  flapped->set_reason("ProbeFailed");
  flapped->set_message("readiness probe failed: HTTP 503 from /healthz");
  toProto(kNow - absl::Minutes(4), flapped->mutable_first_time());
  toProto(kNow - absl::Seconds(30), flapped->mutable_last_time());
  flapped->set_count(3);
  return d;
}

TEST(DescribePrinterTest, ShowsSpecStatePodChildProbeAndEventsLikeKubectlDescribe) {
  const std::string text = describeText(webDescription(), kNow);
  EXPECT_THAT(text, ContainsRegex("Name: +web\n"));
  EXPECT_THAT(text, ContainsRegex("Target: +deployment/web\n"));
  EXPECT_THAT(text, ContainsRegex("Namespace: +shop\n"));
  EXPECT_THAT(text, ContainsRegex("Context: +<none>\n"));
  EXPECT_THAT(text, ContainsRegex("Ports: +8080:80\n"));
  EXPECT_THAT(text, ContainsRegex(
                        "Backoff: +initial=500ms max=30s multiplier=2 jitter=0.2 resetAfter=60s"));
  EXPECT_THAT(text, ContainsRegex("State: +READY\n  Since: +.*\\(5m ago\\)\n"));
  EXPECT_THAT(text, ContainsRegex("Restarts: +2\n"));
  EXPECT_THAT(text, ContainsRegex("Pod: +web-7f9c\n  Chosen: +the newest of 2 Ready pods"));
  EXPECT_THAT(text, ContainsRegex("  PID: +4242\n  Command: +kubectl port-forward pod/web-7f9c\n"));
  EXPECT_THAT(text, HasSubstr("httpGet http://127.0.0.1:8080/healthz delay=0s timeout=1s "
                              "period=10s #success=1 #failure=3"));
  EXPECT_THAT(text, ContainsRegex("    FAIL  3ms +4s ago +HTTP 503 from /healthz\n"));
  EXPECT_THAT(text, ContainsRegex("Connections: +1 open, 9 total\n"));
  EXPECT_THAT(text, HasSubstr("Events:\n"));
  EXPECT_THAT(text, ContainsRegex("  Type +Reason +Age +Message\n"));
  EXPECT_THAT(text, ContainsRegex("  Normal +Ready +5m +STARTING -> READY: forwarding 8080:80\n"));
  EXPECT_THAT(text, ContainsRegex("  Warning +ProbeFailed +30s \\(x3 over 4m\\) +readiness probe"));
}

TEST(DescribePrinterTest, APodThatIsNotReadySaysSoUnderTheState) {
  pfd::v1::DescribeForwardResponse d = webDescription();
  d.mutable_forward()->set_note("pod web-7f9c is not Ready; forwarding anyway");
  EXPECT_THAT(describeText(d, kNow),
              ContainsRegex("State: +READY\n  Note: +pod web-7f9c is not Ready; forwarding "
                            "anyway\n  Since: "));
}

TEST(DescribePrinterTest, AForwardWithoutACaveatHasNoNote) {
  EXPECT_THAT(describeText(webDescription(), kNow), Not(HasSubstr("Note:")));
}

TEST(DescribePrinterTest, ABarePodTargetNamesItsPod) {
  pfd::v1::DescribeForwardResponse d;
  d.mutable_forward()->set_name("db");
  d.mutable_forward()->set_target("pod/db-0");
  d.mutable_forward()->set_pod("db-0");
  EXPECT_THAT(describeText(d, kNow), ContainsRegex("Pod: +db-0\n  Chosen: +named by the target\n"));
}

TEST(DescribePrinterTest, AForwardWithoutChildProbeOrEventsSaysNone) {
  pfd::v1::DescribeForwardResponse d;
  d.mutable_forward()->set_name("idle");
  d.mutable_forward()->add_command("socat");
  const std::string text = describeText(d, kNow);
  EXPECT_THAT(text, ContainsRegex("Command: +socat\n"));
  EXPECT_THAT(text, ContainsRegex("  PID: +<none>\n"));
  EXPECT_THAT(text, ContainsRegex("Readiness: +<none>\n"));
  EXPECT_THAT(text, ContainsRegex("Events: +<none>\n"));
}

}  // namespace
}  // namespace pfd::client
