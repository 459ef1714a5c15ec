#include "daemon/probe/probe_socket.h"

#include <uv.h>

#include "absl/strings/str_cat.h"
#include "daemon/probe/probe_messages.h"

namespace pfd::probe {

absl::StatusOr<sockaddr_storage> probeSocketAddress(const std::string& address, uint16_t port) {
  const std::string host = address == "localhost" ? "127.0.0.1" : address;
  sockaddr_storage storage{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&storage)) == 0) {
    return storage;
  }
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&storage)) == 0) {
    return storage;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot probe \"", address,
                   "\": not an IP address; set the forward's address to an IP such as 127.0.0.1"));
}

std::string connectErrorMessage(const std::string& address, uint16_t port, int uv_error) {
  if (uv_error == UV_ECONNREFUSED) {
    return connectionRefusedMessage(address, port);
  }
  return absl::StrCat("cannot connect to ", endpointText(address, port), ": ",
                      uv_strerror(uv_error));
}

}  // namespace pfd::probe
