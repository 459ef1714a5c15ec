#pragma once

#include <cstddef>
#include <optional>

#include "client/render/table_line.h"

namespace pfd::client {

// Colour only for a terminal, and never when NO_COLOR is set to anything but "" (no-color.org) or
// TERM is "dumb".
bool colorWanted(bool is_terminal, const char* no_color, const char* term);

// The terminal's width in columns: the kernel's idea of it, else $COLUMNS, else 80.
size_t terminalWidth(int fd);

// How to draw tables on `fd`: colour and cutting to the width only on a terminal; a pipe or a file
// gets plain text and every character.
TableStyle detectTableStyle(int fd);

}  // namespace pfd::client
