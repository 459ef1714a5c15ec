#include "client/render/streaming_table.h"

#include <algorithm>

namespace pfd::client {

StreamingTable::StreamingTable(const std::vector<std::string>& header, TableStyle style)
    : style_(style) {
  for (const std::string& title : header) {
    header_.push_back(Cell{title});
  }
  widths_.assign(header_.size(), 0);
  widen(header_);
}

void StreamingTable::widen(const Row& row) {
  for (size_t column = 0; column < row.size() && column < widths_.size(); ++column) {
    widths_[column] = std::max(widths_[column], paddedColumnWidth(displayWidth(row[column].text)));
  }
}

void StreamingTable::print(std::ostream& out, const Row& row) { print(out, std::vector<Row>{row}); }

void StreamingTable::print(std::ostream& out, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    widen(row);
  }
  if (!header_printed_ && !rows.empty()) {
    out << formatTableLine(widths_, header_, style_) << '\n';
    header_printed_ = true;
  }
  for (const Row& row : rows) {
    out << formatTableLine(widths_, row, style_) << '\n';
  }
}

}  // namespace pfd::client
