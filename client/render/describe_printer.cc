#include "client/render/describe_printer.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/render/duration_format.h"
#include "client/render/forward_columns.h"
#include "client/render/proto_time.h"
#include "client/render/table.h"

namespace pfd::client {
namespace {

using pfd::v1::DescribeForwardResponse;
using pfd::v1::Forward;

// kubectl describe aligns values after the longest key of a block; a fixed column keeps this
// simple and the output diffable.
constexpr int kKeyWidth = 16;

class Lines {
 public:
  void field(int indent, const std::string& key, const std::string& value) {
    const std::string label = absl::StrCat(std::string(static_cast<size_t>(indent), ' '), key, ":");
    if (value.empty()) {
      out_ << label << '\n';  // a section's heading
      return;
    }
    out_ << absl::StrFormat("%-*s", kKeyWidth, label);
    if (label.size() >= static_cast<size_t>(kKeyWidth)) {
      out_ << ' ';
    }
    out_ << value << '\n';
  }
  void raw(const std::string& text) { out_ << text << '\n'; }
  std::ostringstream& stream() { return out_; }

 private:
  std::ostringstream out_;
};

// A configured duration as the config would say it: "500ms", "1s", "30s", "15m".
std::string setting(const google::protobuf::Duration& duration) {
  const absl::Duration value = fromProto(duration);
  if (value > absl::ZeroDuration() && absl::Trunc(value, absl::Seconds(1)) != value) {
    return formatLatency(value);
  }
  return humanDuration(value);
}

std::string ago(absl::Time then, absl::Time now) {
  return absl::StrCat(humanDuration(std::max(now - then, absl::ZeroDuration())), " ago");
}

std::string probeSettingsText(const pfd::v1::ProbeSettings& probe) {
  std::string what;
  if (probe.kind() == "httpGet") {
    what = absl::StrCat("httpGet ", absl::AsciiStrToLower(probe.scheme()),
                        "://127.0.0.1:", probe.port(), probe.path());
  } else if (probe.kind() == "exec") {
    what = absl::StrCat("exec ", absl::StrJoin(probe.command(), " "));
  } else {
    what = absl::StrCat(probe.kind(), " 127.0.0.1:", probe.port());
  }
  // kubectl's own shape: "http-get http://:8080/healthz delay=0s timeout=1s period=10s
  // #success=1 #failure=3".
  return absl::StrCat(what, " delay=", setting(probe.initial_delay()),
                      " timeout=", setting(probe.timeout()), " period=", setting(probe.period()),
                      " #success=", probe.success_threshold(),
                      " #failure=", probe.failure_threshold());
}

std::string backoffText(const pfd::v1::BackoffSettings& backoff) {
  return absl::StrFormat("initial=%s max=%s multiplier=%g jitter=%g resetAfter=%s",
                         setting(backoff.initial()), setting(backoff.max()), backoff.multiplier(),
                         backoff.jitter(), setting(backoff.reset_after()));
}

void stateSection(Lines& lines, const Forward& forward, absl::Time now) {
  lines.field(0, "State", stateName(forward.state()));
  // A caveat while it serves (a pod that runs but is not Ready): what `status` shows in REASON.
  if (!forward.note().empty()) {
    lines.field(2, "Note", forward.note());
  }
  if (forward.has_state_since()) {
    const absl::Time since = fromProto(forward.state_since());
    lines.field(
        2, "Since",
        absl::StrCat(absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", since, absl::LocalTimeZone()),
                     " (", ago(since, now), ")"));
  }
  if (forward.has_next_retry_time()) {
    lines.field(2, "Next Retry", nextRetryText(forward, now));
  }
  if (!forward.last_error().empty()) {
    std::string error = forward.last_error();
    if (forward.has_last_error_time()) {
      absl::StrAppend(&error, " (", ago(fromProto(forward.last_error_time()), now), ")");
    }
    lines.field(2, "Last Error", error);
  }
  lines.field(0, "Restarts", absl::StrCat(forward.restarts()));
}

void podSection(Lines& lines, const DescribeForwardResponse& description, absl::Time now) {
  const Forward& forward = description.forward();
  if (forward.target().empty()) {
    return;
  }
  lines.field(0, "Pod", podText(forward, now));
  if (!description.pod_reason().empty()) {
    lines.field(2, "Chosen", description.pod_reason());
  } else if (absl::StartsWith(forward.target(), "pod/")) {
    lines.field(2, "Chosen", "named by the target");
  }
  if (forward.has_switch_()) {
    lines.field(2, "Switching", forward.switch_().reason());
  }
  for (const pfd::v1::DrainingPod& draining : forward.draining()) {
    lines.field(2, "Draining",
                absl::StrCat(draining.pod(), " (pid ", draining.pid(), ", ", draining.connections(),
                             " open)"));
  }
}

void probeSection(Lines& lines, const DescribeForwardResponse& description, absl::Time now) {
  if (!description.has_probe()) {
    lines.field(0, "Readiness", kNone);
    return;
  }
  lines.field(0, "Readiness", probeSettingsText(description.probe()));
  if (description.probe_results().empty()) {
    lines.field(2, "Last Results", "none yet");
    return;
  }
  lines.field(2, "Last Results", "");
  for (auto result = description.probe_results().rbegin();
       result != description.probe_results().rend(); ++result) {
    lines.raw(absl::StrCat("    ", result->success() ? "ok  " : "FAIL", "  ",
                           absl::StrFormat("%-8s", formatLatency(fromProto(result->latency()))),
                           absl::StrFormat("%-10s", ago(fromProto(result->time()), now)),
                           result->message()));
  }
}

void eventsSection(Lines& lines, const DescribeForwardResponse& description, absl::Time now) {
  if (description.events().empty()) {
    lines.field(0, "Events", kNone);
    return;
  }
  lines.raw("Events:");
  Table table({"  Type", "Reason", "Age", "Message"});
  table.addRow({Cell{"  ----"}, Cell{"------"}, Cell{"----"}, Cell{"-------"}});
  for (const pfd::v1::HistoryEvent& event : description.events()) {
    table.addRow({Cell{absl::StrCat(
                      "  ", event.type() == pfd::v1::EVENT_TYPE_WARNING ? "Warning" : "Normal")},
                  Cell{event.reason()}, Cell{eventAgeText(event, now)}, Cell{event.message()}});
  }
  table.print(lines.stream(), TableStyle{});
}

}  // namespace

std::string eventAgeText(const pfd::v1::HistoryEvent& event, absl::Time now) {
  const std::string last =
      humanDuration(std::max(now - fromProto(event.last_time()), absl::ZeroDuration()));
  if (event.count() <= 1) {
    return last;
  }
  return absl::StrCat(
      last, " (x", event.count(), " over ",
      humanDuration(std::max(now - fromProto(event.first_time()), absl::ZeroDuration())), ")");
}

std::string describeText(const DescribeForwardResponse& description, absl::Time now) {
  const Forward& forward = description.forward();
  Lines lines;
  lines.field(0, "Name", forward.name());
  lines.field(0, forward.target().empty() ? "Command" : "Target", targetText(forward));
  lines.field(0, "Namespace", forward.target().empty() ? kNone : orNone(forward.namespace_()));
  lines.field(0, "Context", orNone(forward.context()));
  lines.field(0, "Address", orNone(forward.address()));
  lines.field(0, "Ports", portsText(forward));
  lines.field(0, "Enabled", forward.enabled() ? "true" : "false");
  lines.field(0, "Start", forward.on_demand() ? "onDemand" : "always");
  lines.field(0, "Hold Ports", forward.hold_port() ? "true" : "false");
  if (forward.hold_port()) {
    lines.field(2, "Hold Timeout", setting(description.hold_timeout()));
    lines.field(2, "Drain Timeout", setting(description.drain_timeout()));
  }
  lines.field(0, "Start Timeout", setting(description.start_timeout()));
  lines.field(0, "Backoff", backoffText(description.backoff()));
  stateSection(lines, forward, now);
  podSection(lines, description, now);
  lines.field(0, "Child", "");
  lines.field(2, "PID", forward.pid() > 0 ? absl::StrCat(forward.pid()) : kNone);
  lines.field(
      2, "Command",
      description.command_line().empty() ? kNone : absl::StrJoin(description.command_line(), " "));
  probeSection(lines, description, now);
  lines.field(0, "Connections", connectionsText(forward));
  lines.field(2, "Traffic", trafficText(forward));
  eventsSection(lines, description, now);
  return lines.stream().str();
}

}  // namespace pfd::client
