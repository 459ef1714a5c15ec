#include "client/render/live_view.h"

#include <algorithm>
#include <array>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/render/duration_format.h"
#include "client/render/forward_columns.h"
#include "client/render/proto_time.h"
#include "client/render/table_line.h"

namespace pfd::client {
namespace {

using pfd::v1::Forward;

// Foreground colours that end with "default foreground" rather than a full reset, so that a
// coloured STATE inside the reversed (selected) row keeps the row reversed.
constexpr char kReverse[] = "\x1b[7m";
constexpr char kNoReverse[] = "\x1b[27m";
constexpr char kDefaultForeground[] = "\x1b[39m";

const char* foreground(Color color) {
  switch (color) {
    case Color::kGreen:
      return "\x1b[32m";
    case Color::kYellow:
      return "\x1b[33m";
    case Color::kRed:
      return "\x1b[31m";
    case Color::kNone:
      break;
  }
  return "";
}

constexpr size_t kGap = 2;  // between columns: a screen has less room than a scrolling table
constexpr size_t kMarkerWidth = 2;

std::string flat(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\t' || c == '\r'; }, ' ');
  return text;
}

// One screen line: the cells padded to `widths` (all but the last), everything past `width`
// columns cut, the STATE cell coloured.
std::string screenLine(const std::string& marker, const std::vector<size_t>& widths, const Row& row,
                       size_t width, bool color, bool reversed) {
  std::string line;
  if (reversed) {
    line.append(kReverse);
  }
  size_t used = 0;
  auto append = [&](const std::string& text, Color cell_color) {
    if (used >= width) {
      return false;
    }
    const std::string cut =
        used + displayWidth(text) > width ? truncateToWidth(text, width - used) : text;
    const bool colored = color && cell_color != Color::kNone && !cut.empty();
    if (colored) {
      line.append(foreground(cell_color));
    }
    line.append(cut);
    if (colored) {
      line.append(kDefaultForeground);
    }
    used += displayWidth(cut);
    return used < width;
  };
  append(marker, Color::kNone);
  for (size_t column = 0; column < row.size(); ++column) {
    const std::string text = flat(row[column].text);
    if (!append(text, row[column].color)) {
      break;
    }
    if (column + 1 < row.size()) {
      const size_t pad =
          widths[column] > displayWidth(text) ? widths[column] - displayWidth(text) : kGap;
      if (!append(std::string(pad, ' '), Color::kNone)) {
        break;
      }
    }
  }
  if (reversed) {
    // The whole width reversed, as a selection bar reads.
    if (used < width) {
      line.append(width - used, ' ');
    }
    line.append(kNoReverse);
  }
  return line;
}

std::string connsText(const Forward& forward) {
  if (!forward.has_connections()) {
    return "-";
  }
  std::string text = absl::StrCat(forward.connections().active());
  if (forward.connections().held() > 0) {
    absl::StrAppend(&text, "+", forward.connections().held(), " held");
  }
  return text;
}

std::string liveAge(const Forward& forward, absl::Time now) {
  if (forward.has_state_since()) {
    return humanDuration(std::max(now - fromProto(forward.state_since()), absl::ZeroDuration()));
  }
  return ageText(forward, now);
}

// "in 3s", rounded up as BACKOFF's NEXT RETRY is; "now" once it is due.
std::string nextCheckText(const pfd::v1::Cluster& cluster, absl::Time now) {
  const absl::Duration remaining = fromProto(cluster.next_check_time()) - now;
  if (remaining < absl::Seconds(1)) {
    return "now";
  }
  return absl::StrCat("in ", humanDuration(absl::Ceil(remaining, absl::Seconds(1))));
}

}  // namespace

std::string rateText(std::optional<double> bytes_per_second) {
  if (!bytes_per_second.has_value()) {
    return "-";
  }
  constexpr std::array<const char*, 4> kUnits = {"B/s", "kB/s", "MB/s", "GB/s"};
  double value = *bytes_per_second;
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < kUnits.size()) {
    value /= 1000;
    unit++;
  }
  if (unit == 0) {
    return absl::StrFormat("%.0f %s", value, kUnits[unit]);
  }
  return absl::StrFormat(value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
}

LiveView::Entry& LiveView::entryFor(const std::string& name) {
  for (Entry& entry : rows_) {
    if (entry.forward.name() == name) {
      return entry;
    }
  }
  rows_.push_back(Entry{});
  rows_.back().forward.set_name(name);
  return rows_.back();
}

void LiveView::apply(const pfd::v1::ForwardEvent& event) {
  Entry& entry = entryFor(event.forward().name());
  const pfd::v1::ConnectionCounters counters = entry.forward.connections();
  const bool had_counters = entry.forward.has_connections();
  entry.forward = event.forward();
  if (had_counters && !entry.forward.has_connections()) {
    *entry.forward.mutable_connections() = counters;
  }
  entry.reason = event.reason().empty() ? event.forward().last_error() : event.reason();
}

void LiveView::refresh(const pfd::v1::ListForwardsResponse& response, absl::Time now) {
  std::set<std::string> listed;
  for (const Forward& forward : response.forwards()) {
    listed.insert(forward.name());
    Entry& entry = entryFor(forward.name());
    entry.forward = forward;
    if (!forward.has_connections()) {
      entry.bytes_per_second.reset();
      entry.sampled_at.reset();
      continue;
    }
    const uint64_t bytes = forward.connections().bytes_in() + forward.connections().bytes_out();
    if (entry.sampled_at.has_value() && now > *entry.sampled_at && bytes >= entry.sampled_bytes) {
      entry.bytes_per_second = static_cast<double>(bytes - entry.sampled_bytes) /
                               absl::ToDoubleSeconds(now - *entry.sampled_at);
    }
    entry.sampled_bytes = bytes;
    entry.sampled_at = now;
  }
  std::erase_if(rows_, [&](const Entry& entry) { return !listed.contains(entry.forward.name()); });
  clusters_.assign(response.clusters().begin(), response.clusters().end());
  if (selected_ >= rows_.size()) {
    selected_ = rows_.empty() ? 0 : rows_.size() - 1;
  }
}

void LiveView::moveSelection(int delta) {
  if (rows_.empty()) {
    return;
  }
  const long target = static_cast<long>(selected_) + delta;
  selected_ = static_cast<size_t>(std::clamp(target, 0L, static_cast<long>(rows_.size()) - 1));
}

std::optional<std::string> LiveView::selectedName() const {
  if (selected_ >= rows_.size()) {
    return std::nullopt;
  }
  return rows_[selected_].forward.name();
}

std::string LiveView::totals() const {
  if (rows_.empty()) {
    return "no forwards";
  }
  // The states that need a look first.
  constexpr std::array<pfd::v1::ForwardState, 7> kOrder = {
      pfd::v1::FORWARD_STATE_READY,     pfd::v1::FORWARD_STATE_STARTING,
      pfd::v1::FORWARD_STATE_UNHEALTHY, pfd::v1::FORWARD_STATE_BACKOFF,
      pfd::v1::FORWARD_STATE_FAILED,    pfd::v1::FORWARD_STATE_STOPPED,
      pfd::v1::FORWARD_STATE_IDLE};
  std::vector<std::string> parts;
  for (pfd::v1::ForwardState state : kOrder) {
    const auto count = std::count_if(rows_.begin(), rows_.end(), [state](const Entry& entry) {
      return entry.forward.state() == state;
    });
    if (count > 0) {
      parts.push_back(absl::StrCat(count, " ", absl::AsciiStrToLower(stateName(state))));
    }
  }
  return absl::StrJoin(parts, ", ");
}

std::string LiveView::clusterHealth(absl::Time now) const {
  std::vector<const pfd::v1::Cluster*> down;
  for (const pfd::v1::Cluster& cluster : clusters_) {
    if (cluster.state() == pfd::v1::CLUSTER_STATE_DOWN) {
      down.push_back(&cluster);
    }
  }
  if (down.empty()) {
    return "";
  }
  const pfd::v1::Cluster& first = *down.front();
  std::string text = absl::StrCat(
      "cluster ", first.context().empty() ? "of the current context" : first.context(), " down");
  if (first.has_since()) {
    absl::StrAppend(&text, " for ",
                    humanDuration(std::max(now - fromProto(first.since()), absl::ZeroDuration())));
  }
  if (!first.reason().empty()) {
    absl::StrAppend(&text, ": ", first.reason());
  }
  if (first.has_next_check_time()) {
    absl::StrAppend(&text, " (next check ", nextCheckText(first, now), ")");
  }
  if (down.size() > 1) {
    absl::StrAppend(&text, ", ", down.size() - 1,
                    down.size() == 2 ? " more cluster" : " more clusters", " down");
  }
  return text;
}

std::vector<std::string> LiveView::frame(size_t width, size_t height, bool color, absl::Time now) {
  std::vector<std::string> lines;
  if (height == 0 || width == 0) {
    return lines;
  }
  const Row title = {
      Cell{absl::StrCat("pfd: ", rows_.size(), rows_.size() == 1 ? " forward" : " forwards",
                        "   q quit  r restart  up/down select  enter describe")}};
  lines.push_back(screenLine("", {}, title, width, false, false));
  if (height == 1) {
    return lines;
  }

  const Row header = {Cell{"NAME"},     Cell{"STATE"}, Cell{"POD"},     Cell{"AGE"},
                      Cell{"RESTARTS"}, Cell{"CONNS"}, Cell{"BYTES/S"}, Cell{"REASON"}};
  std::vector<Row> rows;
  rows.reserve(rows_.size());
  for (const Entry& entry : rows_) {
    const Forward& forward = entry.forward;
    rows.push_back(Row{Cell{forward.name()},
                       Cell{stateName(forward.state()), stateColor(forward.state())},
                       Cell{podText(forward, now)}, Cell{liveAge(forward, now)},
                       Cell{absl::StrCat(forward.restarts())}, Cell{connsText(forward)},
                       Cell{rateText(entry.bytes_per_second)}, Cell{orNone(entry.reason)}});
  }
  std::vector<size_t> widths(header.size() - 1);
  for (size_t column = 0; column + 1 < header.size(); ++column) {
    size_t widest = displayWidth(header[column].text);
    for (const Row& row : rows) {
      widest = std::max(widest, displayWidth(flat(row[column].text)));
    }
    widths[column] = widest + kGap;
  }
  lines.push_back(screenLine("  ", widths, header, width, false, false));

  // Title, header and footer take three lines; the rest shows rows, scrolled to the selection.
  const size_t room = height > 3 ? height - 3 : 0;
  if (selected_ < top_) {
    top_ = selected_;
  } else if (room > 0 && selected_ >= top_ + room) {
    top_ = selected_ - room + 1;
  }
  top_ = std::min(top_, rows.size() > room ? rows.size() - room : 0);
  for (size_t i = top_; i < rows.size() && i < top_ + room; ++i) {
    const bool selected = i == selected_;
    lines.push_back(
        screenLine(selected ? "> " : "  ", widths, rows[i], width, color, selected && color));
  }
  while (lines.size() + 1 < height) {
    lines.emplace_back();
  }
  std::string footer = totals();
  if (rows.size() > room && room > 0) {
    absl::StrAppend(&footer, "   rows ", top_ + 1, "-", std::min(rows.size(), top_ + room), " of ",
                    rows.size());
  }
  if (!message_.empty()) {
    absl::StrAppend(&footer, "   ", message_);
  }
  // Last, since its reason may be long: the width cuts it, not the totals.
  if (const std::string health = clusterHealth(now); !health.empty()) {
    absl::StrAppend(&footer, "   ", health);
  }
  lines.push_back(screenLine("", {}, Row{Cell{footer}}, width, false, false));
  return lines;
}

}  // namespace pfd::client
