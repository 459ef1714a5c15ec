#include "daemon/core/log_buffer.h"

#include <algorithm>

namespace pfd::core {

void LogBuffer::append(LogLine line) {
  if (lines_.size() == capacity_) {
    lines_.pop_front();
  }
  lines_.push_back(std::move(line));
}

std::vector<LogLine> LogBuffer::tail(size_t count) const {
  const size_t take = count == 0 ? lines_.size() : std::min(count, lines_.size());
  return {lines_.end() - static_cast<std::ptrdiff_t>(take), lines_.end()};
}

}  // namespace pfd::core
