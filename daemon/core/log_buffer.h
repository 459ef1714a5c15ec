#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "daemon/event/dispatcher.h"

namespace pfd::core {

struct LogLine {
  enum class Source { kStdout, kStderr, kPfd };  // kPfd: the daemon's own notes on the forward
  event::SystemTime time;
  Source source = Source::kStdout;
  std::string text;
};

// The last `capacity` output lines of one forward, for `pfctl logs`.
class LogBuffer {
 public:
  static constexpr size_t kDefaultCapacity = 1000;

  explicit LogBuffer(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  void append(LogLine line);
  // The last `count` lines, oldest first; all kept lines when count is 0.
  std::vector<LogLine> tail(size_t count) const;
  size_t size() const { return lines_.size(); }

 private:
  size_t capacity_;
  std::deque<LogLine> lines_;
};

}  // namespace pfd::core
