#pragma once

#include <cstddef>
#include <cstdint>
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

// The last `capacity` output lines of one forward, for `pfctl logs`, with pfd's own notes on the
// forward in between. Notes do not take the place of output lines: each kind keeps its last
// `capacity`, and tail() interleaves them in the order they came.
class LogBuffer {
 public:
  static constexpr size_t kDefaultCapacity = 1000;

  explicit LogBuffer(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  void append(LogLine line);
  // The last `count` lines, oldest first; all kept lines when count is 0.
  std::vector<LogLine> tail(size_t count) const;
  size_t size() const { return output_.size() + notes_.size(); }

 private:
  struct Numbered {
    uint64_t number;
    LogLine line;
  };

  size_t capacity_;
  uint64_t next_number_ = 0;
  std::deque<Numbered> output_;
  std::deque<Numbered> notes_;
};

}  // namespace pfd::core
