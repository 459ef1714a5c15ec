#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pfd::client {

enum class Color { kNone, kGreen, kYellow, kRed };

struct Cell {
  std::string text;
  Color color = Color::kNone;
};
using Row = std::vector<Cell>;

// How a table is drawn on one output stream.
struct TableStyle {
  // ANSI colours on coloured cells.
  bool color = false;
  // Cut the last column so that no line is wider than this (the terminal's width); unset: never
  // cut, so that pipes and files get every character.
  std::optional<size_t> max_width;
};

// kubectl's printers pad every column but the last with 3 spaces and to at least 10 columns.
inline constexpr size_t kColumnPadding = 3;
inline constexpr size_t kMinimumColumnWidth = 10;
// On a terminal narrower than the other columns, the last one still shows this much (and the
// line wraps) rather than vanishing.
inline constexpr size_t kMinimumLastColumnWidth = 20;

// Width in terminal columns: one per UTF-8 code point (wide CJK characters count one; good enough
// for names and error messages).
size_t displayWidth(std::string_view text);

// `text` cut to at most `width` columns, ending in "..." when something was cut. Never splits a
// UTF-8 sequence.
std::string truncateToWidth(std::string_view text, size_t width);

// The width of a column (padding included) whose widest cell is `text_width` wide.
size_t paddedColumnWidth(size_t text_width);

// One line of a table, without the newline. `widths` holds the padded width of each column but the
// last. Line breaks and tabs inside cells become spaces so that a cell never breaks the table.
std::string formatTableLine(const std::vector<size_t>& widths, const Row& row,
                            const TableStyle& style);

}  // namespace pfd::client
