#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>

namespace pfd::relay {

// An IP literal and a port as a socket address. Names ("localhost") are not resolved: the relay
// never waits on a resolver, and its callers (the config, kubectl's --address) hold literals.
struct SocketAddress {
  sockaddr_storage storage{};

  static std::optional<SocketAddress> parse(const std::string& address, uint16_t port);

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  bool isIpv6() const { return storage.ss_family == AF_INET6; }
};

// "127.0.0.1:8080", "[::1]:8080": how logs and messages name an endpoint.
std::string endpointText(const std::string& address, uint16_t port);

// The remote end of a connected handle as endpointText() writes it; "unknown" if it has none.
std::string peerText(const uv_tcp_t* tcp);

}  // namespace pfd::relay
