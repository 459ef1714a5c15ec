#pragma once

#include <ostream>

#include "client/render/table_line.h"

namespace pfd::client {

// Where a command prints: results on `out`, warnings and failures on `err`, and how tables are
// drawn on `out` (colour and width, decided by whether it is a terminal).
struct Console {
  std::ostream& out;
  std::ostream& err;
  TableStyle style;
  // The descriptor behind `out` (-1: none), for commands that draw on a terminal themselves.
  int out_fd = -1;
};

}  // namespace pfd::client
