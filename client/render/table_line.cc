#include "client/render/table_line.h"

#include <algorithm>

namespace pfd::client {
namespace {

constexpr std::string_view kEllipsis = "...";

bool isContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string_view colorCode(Color color) {
  switch (color) {
    case Color::kGreen:
      return "\033[32m";
    case Color::kYellow:
      return "\033[33m";
    case Color::kRed:
      return "\033[31m";
    case Color::kNone:
      break;
  }
  return "";
}

constexpr std::string_view kResetCode = "\033[0m";

std::string flattened(std::string_view text) {
  std::string result(text);
  std::replace_if(
      result.begin(), result.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; },
      ' ');
  return result;
}

// The byte length of the first `width` code points of `text`.
size_t prefixBytes(std::string_view text, size_t width) {
  size_t columns = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!isContinuationByte(text[i])) {
      if (columns == width) {
        return i;
      }
      ++columns;
    }
  }
  return text.size();
}

void appendCell(std::string& line, const std::string& text, Color color, const TableStyle& style) {
  const bool colored = style.color && color != Color::kNone && !text.empty();
  if (colored) {
    line.append(colorCode(color));
  }
  line.append(text);
  if (colored) {
    line.append(kResetCode);
  }
}

}  // namespace

size_t displayWidth(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !isContinuationByte(c); }));
}

std::string truncateToWidth(std::string_view text, size_t width) {
  if (displayWidth(text) <= width) {
    return std::string(text);
  }
  if (width <= kEllipsis.size()) {
    return std::string(kEllipsis.substr(0, width));
  }
  std::string result(text.substr(0, prefixBytes(text, width - kEllipsis.size())));
  result.append(kEllipsis);
  return result;
}

size_t paddedColumnWidth(size_t text_width) {
  return std::max(kMinimumColumnWidth, text_width + kColumnPadding);
}

std::string formatTableLine(const std::vector<size_t>& widths, const Row& row,
                            const TableStyle& style) {
  std::string line;
  size_t used = 0;
  for (size_t column = 0; column < row.size(); ++column) {
    std::string text = flattened(row[column].text);
    const bool last = column + 1 == row.size();
    if (last) {
      if (style.max_width.has_value()) {
        const size_t room = std::max(kMinimumLastColumnWidth,
                                     *style.max_width > used ? *style.max_width - used : 0);
        text = truncateToWidth(text, room);
      }
      appendCell(line, text, row[column].color, style);
      break;
    }
    const size_t width = column < widths.size() ? widths[column] : paddedColumnWidth(0);
    const size_t text_width = displayWidth(text);
    appendCell(line, text, row[column].color, style);
    // A cell wider than its column (only in a streaming table) still gets the padding.
    const size_t padding =
        text_width + kColumnPadding > width ? kColumnPadding : width - text_width;
    line.append(padding, ' ');
    used += text_width + padding;
  }
  return line;
}

}  // namespace pfd::client
