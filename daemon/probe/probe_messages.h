#pragma once

#include <chrono>
#include <cstdint>
#include <string>

// The wording of probe results, shared by the probers so that `pfctl status` reads the same
// whichever kind of check failed.
namespace pfd::probe {

// "127.0.0.1:8080", "[::1]:8080".
std::string endpointText(const std::string& address, uint16_t port);

// "timeout after 1s", "timeout after 250ms", "timeout after 1.5s".
std::string timeoutMessage(std::chrono::milliseconds timeout);

// "connection refused on 127.0.0.1:8080".
std::string connectionRefusedMessage(const std::string& address, uint16_t port);

}  // namespace pfd::probe
