#include "daemon/relay/socket_address.h"

#include <netinet/in.h>

#include <array>

#include "absl/strings/str_cat.h"

namespace pfd::relay {

std::optional<SocketAddress> SocketAddress::parse(const std::string& address, uint16_t port) {
  SocketAddress result;
  if (uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(&result.storage)) == 0) {
    return result;
  }
  if (uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(&result.storage)) == 0) {
    return result;
  }
  return std::nullopt;
}

std::string endpointText(const std::string& address, uint16_t port) {
  if (address.find(':') != std::string::npos) {
    return absl::StrCat("[", address, "]:", port);
  }
  return absl::StrCat(address, ":", port);
}

std::string peerText(const uv_tcp_t* tcp) {
  sockaddr_storage storage{};
  int length = sizeof storage;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return "unknown";
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (storage.ss_family == AF_INET6) {
    const auto* ipv6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    uv_ip6_name(ipv6, text.data(), text.size());
    return endpointText(text.data(), ntohs(ipv6->sin6_port));
  }
  const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(&storage);
  uv_ip4_name(ipv4, text.data(), text.size());
  return endpointText(text.data(), ntohs(ipv4->sin_port));
}

}  // namespace pfd::relay
