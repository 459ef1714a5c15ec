#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

// What the probers that open their own TCP connection (tcpSocket, plain-HTTP httpGet) share.
namespace pfd::probe {

// The forward's local address as a socket address. "localhost" is the loopback: libuv only
// connects to numeric addresses, and resolving would need the threadpool for that one name.
absl::StatusOr<sockaddr_storage> probeSocketAddress(const std::string& address, uint16_t port);

// "connection refused on 127.0.0.1:8080", "cannot connect to 127.0.0.1:8080: <uv error>".
std::string connectErrorMessage(const std::string& address, uint16_t port, int uv_error);

}  // namespace pfd::probe
