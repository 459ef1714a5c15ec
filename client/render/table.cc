#include "client/render/table.h"

#include <algorithm>
#include <utility>

namespace pfd::client {

Table::Table(const std::vector<std::string>& header) {
  for (const std::string& title : header) {
    header_.push_back(Cell{title});
  }
}

void Table::addRow(Row row) { rows_.push_back(std::move(row)); }

void Table::print(std::ostream& out, const TableStyle& style) const {
  std::vector<size_t> text_widths(header_.size(), 0);
  auto widen = [&text_widths](const Row& row) {
    for (size_t column = 0; column < row.size() && column < text_widths.size(); ++column) {
      text_widths[column] = std::max(text_widths[column], displayWidth(row[column].text));
    }
  };
  widen(header_);
  for (const Row& row : rows_) {
    widen(row);
  }
  std::vector<size_t> widths;
  for (size_t text_width : text_widths) {
    widths.push_back(paddedColumnWidth(text_width));
  }
  out << formatTableLine(widths, header_, style) << '\n';
  for (const Row& row : rows_) {
    out << formatTableLine(widths, row, style) << '\n';
  }
}

}  // namespace pfd::client
