#pragma once

#include <string>

namespace pfd::config {

// Where pfd's control socket is when no --socket says otherwise. Plain C++ with no libraries
// beyond the standard one: pfctl's front (client/front_main.cc) uses it, and it must load nothing
// but libc and libstdc++ (bench/status_short.py).

// $PFD_SOCKET, else $XDG_RUNTIME_DIR/pfd/pfd.sock, else /tmp/pfd-UID/pfd.sock. Shared by pfd and
// pfctl so that both find the same socket without flags.
std::string defaultSocketPath();

// The directory of the default socket: $XDG_RUNTIME_DIR/pfd, else /tmp/pfd-UID.
std::string pfdRuntimeDirectory();

}  // namespace pfd::config
