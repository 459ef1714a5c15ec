#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "client/render/table_line.h"

namespace pfd::client {

// A table printed the way kubectl prints `get`: a header row and left-aligned columns sized to
// their widest cell.
class Table {
 public:
  explicit Table(const std::vector<std::string>& header);

  void addRow(Row row);
  bool empty() const { return rows_.empty(); }

  void print(std::ostream& out, const TableStyle& style) const;

 private:
  Row header_;
  std::vector<Row> rows_;
};

}  // namespace pfd::client
