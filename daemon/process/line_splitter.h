#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace pfd::process {

// Cuts a child's output, as it arrives in reads of any size, into lines without their "\n" or
// "\r\n". A line longer than the cap is delivered in pieces of the cap, so a child that never
// prints a newline cannot make pfd buffer without bound.
class LineSplitter {
 public:
  using LineCallback = absl::FunctionRef<void(std::string_view line)>;
  static constexpr size_t kDefaultMaxLineLength = 8192;

  explicit LineSplitter(size_t max_line_length = kDefaultMaxLineLength);

  // Delivers every line `data` completes; keeps the unterminated rest for the next call.
  void feed(std::string_view data, LineCallback on_line);
  // At end of stream: delivers the last line if it had no newline.
  void finish(LineCallback on_line);

 private:
  void appendPartial(std::string_view data, LineCallback on_line);
  void deliverComplete(std::string_view line, LineCallback on_line) const;

  size_t max_line_length_;
  std::string partial_;
};

}  // namespace pfd::process
