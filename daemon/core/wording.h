#pragma once

#include <cstdint>
#include <string>

#include "daemon/core/forward_spec.h"

namespace pfd::core {

// How the forward's log lines and reasons spell things, in one place.

// "500ms", "10s", "1m30s".
std::string formatDelay(Milliseconds delay);

// "1 connection", "3 connections".
std::string connectionCount(uint64_t count);

// The pod of a bare pod target ("pod/web-1", "web-1" -> "web-1"); "" for any other kind.
std::string podOfTarget(const std::string& target);

}  // namespace pfd::core
