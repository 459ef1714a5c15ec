#pragma once

#include <cstdint>
#include <string>

namespace pfd::app {

// "pid 4242 (python3)" for the process listening on TCP `port` (any local address), found through
// /proc/net/tcp{,6} and /proc/PID/fd; "another process" when the socket is there but its owner is
// not visible to us; "" when nothing listens. Called when kubectl reports the port taken, and
// before a command forward starts.
std::string describeLocalPortOwner(uint16_t port);

}  // namespace pfd::app
