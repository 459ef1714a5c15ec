#include "daemon/process/line_splitter.h"

#include <algorithm>

namespace pfd::process {

LineSplitter::LineSplitter(size_t max_line_length)
    : max_line_length_(std::max<size_t>(max_line_length, 1)) {}

void LineSplitter::feed(std::string_view data, LineCallback on_line) {
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
      appendPartial(data, on_line);
      return;
    }
    const std::string_view rest_of_line = data.substr(0, newline);
    data.remove_prefix(newline + 1);
    if (partial_.empty()) {
      // The common case: the whole line is in this read, no copy needed.
      deliverComplete(rest_of_line, on_line);
    } else {
      appendPartial(rest_of_line, on_line);
      deliverComplete(partial_, on_line);
      partial_.clear();
    }
  }
}

void LineSplitter::finish(LineCallback on_line) {
  if (!partial_.empty()) {
    deliverComplete(partial_, on_line);
    partial_.clear();
  }
}

void LineSplitter::appendPartial(std::string_view data, LineCallback on_line) {
  partial_.append(data);
  size_t start = 0;
  for (;;) {
    const size_t buffered = partial_.size() - start;
    // One byte over the cap may be the "\r" of a "\r\n" still to come; cutting there would turn
    // the "\r" into a line of its own.
    const bool may_be_line_end = buffered == max_line_length_ + 1 && partial_.back() == '\r';
    if (buffered <= max_line_length_ || may_be_line_end) {
      break;
    }
    on_line(std::string_view(partial_).substr(start, max_line_length_));
    start += max_line_length_;
  }
  partial_.erase(0, start);
}

void LineSplitter::deliverComplete(std::string_view line, LineCallback on_line) const {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  while (line.size() > max_line_length_) {
    on_line(line.substr(0, max_line_length_));
    line.remove_prefix(max_line_length_);
  }
  on_line(line);
}

}  // namespace pfd::process
