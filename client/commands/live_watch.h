#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/connection.h"

namespace pfd::client {

// `pfctl watch` on a terminal: a full-screen table redrawn in place on the alternate screen, kept
// current from the Watch stream and a ListForwards refresh every second (bytes/s, ages). Keys: q
// quits, r restarts the selected forward, up/down (or k/j) select, enter shows its describe
// (any key goes back). The terminal is restored on every way out: q, Ctrl-C, SIGTERM, SIGHUP, the
// daemon going away. Hand-written ANSI/xterm sequences (alternate screen, cursor home, erase
// line): a dozen of them, which every terminal emulator in use understands, against ncurses's
// terminfo machinery and its own idea of the screen, which would fight the in-place redraw.
absl::Status runLiveWatch(Connection& connection, const std::vector<std::string>& names, int in_fd,
                          int out_fd, bool color);

}  // namespace pfd::client
