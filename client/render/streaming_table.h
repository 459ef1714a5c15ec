#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "client/render/table_line.h"

namespace pfd::client {

// A table whose rows arrive over time and are printed at once (`pfctl watch`, like
// `kubectl get -w`). The header waits for the first rows so that they share column widths; a
// later, wider cell widens its column from then on (earlier lines are already printed).
class StreamingTable {
 public:
  StreamingTable(const std::vector<std::string>& header, TableStyle style);

  void print(std::ostream& out, const Row& row);
  // Rows known together (the snapshot a watch starts with) share their widths.
  void print(std::ostream& out, const std::vector<Row>& rows);

 private:
  void widen(const Row& row);

  Row header_;
  TableStyle style_;
  std::vector<size_t> widths_;
  bool header_printed_ = false;
};

}  // namespace pfd::client
