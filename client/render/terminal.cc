#include "client/render/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "absl/strings/numbers.h"

namespace pfd::client {
namespace {

constexpr size_t kFallbackWidth = 80;

}  // namespace

bool colorWanted(bool is_terminal, const char* no_color, const char* term) {
  if (!is_terminal) {
    return false;
  }
  if (no_color != nullptr && no_color[0] != '\0') {
    return false;
  }
  return term == nullptr || std::string_view(term) != "dumb";
}

size_t terminalWidth(int fd) {
  struct winsize size {};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  const char* columns = std::getenv("COLUMNS");
  size_t width = 0;
  if (columns != nullptr && absl::SimpleAtoi(columns, &width) && width > 0) {
    return width;
  }
  return kFallbackWidth;
}

TableStyle detectTableStyle(int fd) {
  const bool is_terminal = isatty(fd) == 1;
  TableStyle style;
  style.color = colorWanted(is_terminal, std::getenv("NO_COLOR"), std::getenv("TERM"));
  if (is_terminal) {
    style.max_width = terminalWidth(fd);
  }
  return style;
}

}  // namespace pfd::client
