#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "daemon/core/port_owner_query.h"

namespace pfd::app {

// "pid 4242 (python3)" for the process listening on TCP `port` where a listener on `address`
// (an IP literal, "localhost", or a comma-separated list of them) would collide with it: the same
// address, or a wildcard (0.0.0.0, ::) on either side. Found through /proc/net/tcp{,6} and
// /proc/PID/fd; "another process" when the socket is there but its owner is not visible to us;
// "" when nothing listens there. It walks /proc: call it off the loop (portOwnerFinder).
std::string describeLocalPortOwner(const std::string& address, uint16_t port);

// The production FindPortOwner: describeLocalPortOwner on libuv's thread pool, the answer
// delivered on the loop.
core::FindPortOwner portOwnerFinder(uv_loop_t* loop);

}  // namespace pfd::app
