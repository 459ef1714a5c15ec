#include "daemon/core/log_buffer.h"

#include <algorithm>

namespace pfd::core {

void LogBuffer::append(LogLine line) {
  std::deque<Numbered>& kind = line.source == LogLine::Source::kPfd ? notes_ : output_;
  kind.push_back(Numbered{.number = next_number_++, .line = std::move(line)});
  if (kind.size() > capacity_) {
    kind.pop_front();
  }
}

std::vector<LogLine> LogBuffer::tail(size_t count) const {
  const size_t take = count == 0 ? size() : std::min(count, size());
  // Walk back from the newest of either kind, then return oldest first.
  std::vector<LogLine> lines;
  lines.reserve(take);
  auto output = output_.rbegin();
  auto notes = notes_.rbegin();
  while (lines.size() < take) {
    const bool from_output =
        notes == notes_.rend() || (output != output_.rend() && output->number > notes->number);
    lines.push_back(from_output ? (output++)->line : (notes++)->line);
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

}  // namespace pfd::core
