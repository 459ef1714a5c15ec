#pragma once

#include <ostream>

namespace pfd::client {

// Everything pfctl does: parses `argv`, runs the chosen command against the daemon and returns the
// exit code (see ExitCode in client/connection.h). `out` must be the stream behind `out_fd`, so
// that tables know whether they print to a terminal.
int runPfctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err, int out_fd);

}  // namespace pfd::client
