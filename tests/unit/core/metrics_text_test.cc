#include "daemon/core/metrics_text.h"

#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MetricsSnapshot oneForward() {
  MetricsSnapshot snapshot;
  ForwardMetrics web{.name = "web", .state = ForwardState::kReady, .restarts = 3};
  web.connections = ConnectionCounters{.active = 2,
                                       .accepted = 10,
                                       .held = 1,
                                       .dropped = 4,
                                       .failed = 5,
                                       .replayed = 6,
                                       .bytes_in = 100,
                                       .bytes_out = 2000};
  web.probe = ForwardMetrics::Probe{.success = true, .latency_seconds = 0.0125};
  snapshot.forwards.push_back(web);
  snapshot.clusters.push_back({.context = "kind-dev", .kubeconfig = "/home/u/.kube/config"});
  return snapshot;
}

TEST(MetricsTextTest, EveryFamilyHasHelpAndTypeEvenWithoutForwards) {
  const std::string text = renderMetrics({});
  for (const char* family :
       {"pfd_forward_state gauge", "pfd_forward_restarts_total counter",
        "pfd_forward_connections_active gauge", "pfd_forward_connections_held gauge",
        "pfd_forward_connections_total counter", "pfd_forward_connections_dropped_total counter",
        "pfd_forward_connections_failed_total counter",
        "pfd_forward_connections_replayed_total counter",
        "pfd_forward_received_bytes_total counter", "pfd_forward_sent_bytes_total counter",
        "pfd_forward_probe_success gauge", "pfd_forward_probe_duration_seconds gauge",
        "pfd_forward_heal_seconds histogram", "pfd_cluster_up gauge"}) {
    const std::string name(
        absl::string_view(family).substr(0, absl::string_view(family).find(' ')));
    EXPECT_THAT(text, HasSubstr("# TYPE " + std::string(family) + "\n"));
    EXPECT_THAT(text, HasSubstr("# HELP " + name + " "));
  }
  EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsTextTest, StateIsOneForTheCurrentStateAndZeroForTheOthers) {
  const std::string text = renderMetrics(oneForward());
  EXPECT_THAT(text, HasSubstr("pfd_forward_state{forward=\"web\",state=\"READY\"} 1\n"));
  for (const char* other : {"STARTING", "UNHEALTHY", "BACKOFF", "STOPPED", "FAILED", "IDLE"}) {
    EXPECT_THAT(text, HasSubstr("pfd_forward_state{forward=\"web\",state=\"" + std::string(other) +
                                "\"} 0\n"));
  }
}

TEST(MetricsTextTest, CountersComeFromTheSnapshot) {
  const std::string text = renderMetrics(oneForward());
  EXPECT_THAT(text, HasSubstr("pfd_forward_restarts_total{forward=\"web\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_connections_active{forward=\"web\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_connections_held{forward=\"web\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_connections_total{forward=\"web\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_connections_dropped_total{forward=\"web\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_connections_failed_total{forward=\"web\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_connections_replayed_total{forward=\"web\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_received_bytes_total{forward=\"web\"} 100\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_sent_bytes_total{forward=\"web\"} 2000\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_probe_success{forward=\"web\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_probe_duration_seconds{forward=\"web\"} 0.0125\n"));
  EXPECT_THAT(
      text,
      HasSubstr("pfd_cluster_up{context=\"kind-dev\",kubeconfig=\"/home/u/.kube/config\"} 1\n"));
}

TEST(MetricsTextTest, ForwardsWithoutHeldPortsOrProbeHaveNoSuchSamples) {
  MetricsSnapshot snapshot;
  snapshot.forwards.push_back({.name = "cmd", .state = ForwardState::kBackoff});
  const std::string text = renderMetrics(snapshot);
  EXPECT_THAT(text, Not(HasSubstr("pfd_forward_connections_total{")));
  EXPECT_THAT(text, Not(HasSubstr("pfd_forward_probe_success{")));
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_count{forward=\"cmd\"} 0\n"));
}

TEST(MetricsTextTest, LabelValuesAreEscaped) {
  EXPECT_EQ(escapeLabelValue(R"(a\b"c)"
                             "\nd"),
            R"(a\\b\"c\nd)");
  MetricsSnapshot snapshot;
  snapshot.forwards.push_back({.name = "we\"ird\\"});
  snapshot.clusters.push_back({.context = "line\nbreak"});
  const std::string text = renderMetrics(snapshot);
  EXPECT_THAT(text, HasSubstr(R"(pfd_forward_restarts_total{forward="we\"ird\\"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(pfd_cluster_up{context="line\nbreak",kubeconfig=""} 1)"));
}

TEST(MetricsTextTest, HistogramBucketsAreCumulativeAndEndWithInf) {
  MetricsSnapshot snapshot;
  ForwardMetrics web{.name = "web"};
  web.heals.observe(0.03);  // <= 0.05
  web.heals.observe(0.05);  // on the bound: in it
  web.heals.observe(0.7);   // <= 1
  web.heals.observe(1000);  // past the last bound: +Inf only
  snapshot.forwards.push_back(web);
  const std::string text = renderMetrics(snapshot);
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_bucket{forward=\"web\",le=\"0.05\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_bucket{forward=\"web\",le=\"0.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_bucket{forward=\"web\",le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_bucket{forward=\"web\",le=\"300\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_bucket{forward=\"web\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_sum{forward=\"web\"} 1000.78\n"));
  EXPECT_THAT(text, HasSubstr("pfd_forward_heal_seconds_count{forward=\"web\"} 4\n"));
  // The buckets come in increasing order of le.
  EXPECT_LT(text.find("le=\"0.05\""), text.find("le=\"0.1\""));
  EXPECT_LT(text.find("le=\"300\""), text.find("le=\"+Inf\""));
}

TEST(MetricsTextTest, EveryLineIsACommentOrASample) {
  const std::string text = renderMetrics(oneForward());
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(0, text.size() - 1), '\n')) {
    ASSERT_FALSE(line.empty());
    if (line[0] == '#') {
      continue;
    }
    EXPECT_EQ(line.substr(0, 4), "pfd_") << line;
    EXPECT_NE(line.find("} "), absl::string_view::npos) << line;
  }
}

}  // namespace
}  // namespace pfd::core
