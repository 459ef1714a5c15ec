#include "client/render/forward_columns.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "client/render/duration_format.h"
#include "client/render/proto_time.h"

namespace pfd::client {
namespace {

using pfd::v1::Forward;
using pfd::v1::ForwardState;

// Quotes an argument the way a shell would need it, so that a joined command reads unambiguously.
std::string shellWord(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos) {
    return word;
  }
  return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "'\\''"}}), "'");
}

// "1.5 MB": decimal units, as a transfer reads.
std::string bytesText(uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < kUnits.size()) {
    value /= 1000;
    unit++;
  }
  if (unit == 0) {
    return absl::StrCat(bytes, " B");
  }
  return absl::StrFormat(value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
}

std::string pidText(const Forward& forward) {
  return forward.pid() > 0 ? absl::StrCat(forward.pid()) : kNone;
}

}  // namespace

std::string orNone(const std::string& value) { return value.empty() ? kNone : value; }

std::vector<std::string> forwardHeader(TableView view) {
  std::vector<std::string> header = {"NAME", "TARGET", "PORTS", "STATE", "POD", "RESTARTS", "AGE"};
  if (view == TableView::kWide) {
    header.insert(header.end(),
                  {"NAMESPACE", "CONTEXT", "PID", "NEXT RETRY", "PROBE", "CONNECTIONS", "TRAFFIC"});
  }
  if (view == TableView::kWatch) {
    header.emplace_back("REASON");
  }
  header.emplace_back("LAST ERROR");
  return header;
}

Row forwardRow(const Forward& forward, TableView view, absl::Time now) {
  Row row = {
      Cell{forward.name()},        Cell{targetText(forward)},
      Cell{portsText(forward)},    Cell{stateName(forward.state()), stateColor(forward.state())},
      Cell{podText(forward, now)}, Cell{absl::StrCat(forward.restarts())},
      Cell{ageText(forward, now)},
  };
  if (view == TableView::kWide) {
    row.insert(row.end(), {Cell{orNone(forward.namespace_())}, Cell{orNone(forward.context())},
                           Cell{pidText(forward)}, Cell{nextRetryText(forward, now)},
                           Cell{probeText(forward, now)}, Cell{connectionsText(forward)},
                           Cell{trafficText(forward)}});
  }
  if (view == TableView::kWatch) {
    // Filled in by eventRow(); a forward alone has no reason.
    row.push_back(Cell{kNone});
  }
  // A READY forward's caveat ("pod web-x is not Ready; forwarding anyway") says more about it now
  // than the error it recovered from.
  row.push_back(Cell{orNone(forward.note().empty() ? forward.last_error() : forward.note())});
  return row;
}

Row eventRow(const pfd::v1::ForwardEvent& event, absl::Time now) {
  Row row = forwardRow(event.forward(), TableView::kWatch, now);
  row[row.size() - 2].text = orNone(event.reason());
  return row;
}

std::string stateName(ForwardState state) {
  if (state == pfd::v1::FORWARD_STATE_UNSPECIFIED) {
    return "UNKNOWN";
  }
  const std::string& name = pfd::v1::ForwardState_Name(state);
  if (name.empty()) {
    // A state added to the daemon after this pfctl was built.
    return absl::StrCat("UNKNOWN(", static_cast<int>(state), ")");
  }
  return std::string(absl::StripPrefix(name, "FORWARD_STATE_"));
}

Color stateColor(ForwardState state) {
  switch (state) {
    case pfd::v1::FORWARD_STATE_READY:
      return Color::kGreen;
    case pfd::v1::FORWARD_STATE_STARTING:
    case pfd::v1::FORWARD_STATE_BACKOFF:
      return Color::kYellow;
    case pfd::v1::FORWARD_STATE_FAILED:
    case pfd::v1::FORWARD_STATE_UNHEALTHY:
      return Color::kRed;
    default:
      return Color::kNone;
  }
}

std::string targetText(const Forward& forward) {
  if (!forward.target().empty()) {
    return forward.target();
  }
  if (forward.command_size() == 0) {
    return kNone;
  }
  return absl::StrJoin(forward.command(), " ", [](std::string* out, const std::string& word) {
    out->append(shellWord(word));
  });
}

std::string portsText(const Forward& forward) {
  if (forward.ports_size() == 0) {
    return kNone;
  }
  return absl::StrJoin(forward.ports(), ",",
                       [](std::string* out, const pfd::v1::PortMapping& mapping) {
                         const std::string local =
                             mapping.local_port() == 0 ? "" : absl::StrCat(mapping.local_port());
                         if (local == mapping.remote_port()) {
                           out->append(local);
                         } else {
                           absl::StrAppend(out, local, ":", mapping.remote_port());
                         }
                       });
}

std::string ageText(const Forward& forward, absl::Time now) {
  if (forward.has_time_in_state()) {
    return humanDuration(fromProto(forward.time_in_state()));
  }
  if (forward.has_state_since()) {
    return humanDuration(now - fromProto(forward.state_since()));
  }
  return kNone;
}

std::string nextRetryText(const Forward& forward, absl::Time now) {
  if (!forward.has_next_retry_time()) {
    return kNone;
  }
  const absl::Duration remaining = fromProto(forward.next_retry_time()) - now;
  if (remaining < absl::Seconds(1)) {
    return "now";
  }
  // Rounded up: "in 0s" while a retry is still ahead would read as overdue.
  return absl::StrCat("in", " ", humanDuration(absl::Ceil(remaining, absl::Seconds(1))));
}

std::string probeText(const Forward& forward, absl::Time now) {
  if (!forward.has_readiness()) {
    return kNone;
  }
  const pfd::v1::ProbeStatus& probe = forward.readiness();
  if (!probe.has_time() && probe.message().empty()) {
    return "pending";
  }
  std::string result = probe.success() ? "ok" : probe.message();
  if (result.empty()) {
    result = "failed";
  }
  if (probe.has_latency()) {
    absl::StrAppend(&result, " ", formatLatency(fromProto(probe.latency())));
  }
  if (probe.has_time()) {
    const absl::Duration since = std::max(now - fromProto(probe.time()), absl::ZeroDuration());
    absl::StrAppend(&result, " ", humanDuration(since), " ago");
  }
  return result;
}

std::string podText(const Forward& forward, absl::Time now) {
  if (forward.state() == pfd::v1::FORWARD_STATE_IDLE) {
    if (!forward.has_last_served_time()) {
      return "(idle, never served)";
    }
    const absl::Duration since =
        std::max(now - fromProto(forward.last_served_time()), absl::ZeroDuration());
    return absl::StrCat("(idle, last served ", humanDuration(since), " ago)");
  }
  if (forward.has_switch_()) {
    const std::string& to = forward.switch_().to_pod();
    return absl::StrCat(forward.switch_().from_pod(), " -> ",
                        to.empty() ? "(no Ready pod yet)" : to);
  }
  return orNone(forward.pod());
}

std::string connectionsText(const Forward& forward) {
  if (!forward.has_connections()) {
    return kNone;
  }
  const pfd::v1::ConnectionCounters& c = forward.connections();
  std::string text = absl::StrCat(c.active(), " open");
  if (c.held() > 0) {
    absl::StrAppend(&text, ", ", c.held(), " waiting");
  }
  absl::StrAppend(&text, ", ", c.accepted(), " total");
  if (c.dropped() > 0) {
    absl::StrAppend(&text, ", ", c.dropped(), " dropped");
  }
  if (c.failed() > 0) {
    absl::StrAppend(&text, ", ", c.failed(), " failed");
  }
  if (c.replayed() > 0) {
    absl::StrAppend(&text, ", ", c.replayed(), " replayed");
  }
  for (const pfd::v1::DrainingPod& draining : forward.draining()) {
    absl::StrAppend(&text, ", ", draining.connections(), " draining on ", draining.pod());
  }
  if (c.has_hold_p99() && fromProto(c.hold_p99()) > absl::ZeroDuration()) {
    absl::StrAppend(&text, ", waited p50 ", formatLatency(fromProto(c.hold_p50())), " p99 ",
                    formatLatency(fromProto(c.hold_p99())));
  }
  return text;
}

std::string trafficText(const Forward& forward) {
  if (!forward.has_connections()) {
    return kNone;
  }
  return absl::StrCat(bytesText(forward.connections().bytes_in()), " in, ",
                      bytesText(forward.connections().bytes_out()), " out");
}

}  // namespace pfd::client
