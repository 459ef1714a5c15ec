#include "daemon/relay/libuv_listener.h"

#include <netinet/in.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/event/uv_status.h"
#include "daemon/relay/libuv_connection.h"
#include "daemon/relay/relay_stream.h"
#include "daemon/relay/socket_address.h"
#include "spdlog/spdlog.h"

namespace pfd::relay {

struct LibuvListener::Handle {
  uv_tcp_t tcp;
  uv_loop_t* loop;
  RelayLimits limits;
  Relay::AcceptCallback on_accept;
  std::string where;  // "127.0.0.1:8080", for logs
  bool owner_alive = true;
};

namespace {

absl::Status listenError(const std::string& address, uint16_t port, int error) {
  const std::string where = absl::StrCat("local port ", port, " on ", address);
  switch (error) {
    case UV_EADDRINUSE:
      return absl::AlreadyExistsError(absl::StrCat(where, " is already in use"));
    case UV_EACCES:
    case UV_EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot listen on ", where,
          ": ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a higher local port"));
    case UV_EADDRNOTAVAIL:
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", where, ": ", address,
          " is not an address of this machine (yet: a VPN or interface may bring it)"));
    default:
      return event::uvStatus(error, absl::StrCat("cannot listen on ", where));
  }
}

uint16_t boundPort(const uv_tcp_t* tcp) {
  sockaddr_storage storage{};
  int length = sizeof storage;
  if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return 0;
  }
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<LibuvListener>> LibuvListener::create(
    uv_loop_t* loop, const std::string& address, uint16_t port, const RelayLimits& limits,
    Relay::AcceptCallback on_accept) {
  const std::optional<SocketAddress> socket_address = SocketAddress::parse(address, port);
  if (!socket_address) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot listen on \"", address,
        "\": not an IP address; use an address such as 127.0.0.1, ::1, 0.0.0.0 or ::"));
  }
  auto* handle = new Handle{.tcp = {},
                            .loop = loop,
                            .limits = limits,
                            .on_accept = std::move(on_accept),
                            .where = endpointText(address, port)};
  uv_tcp_init(loop, &handle->tcp);
  handle->tcp.data = handle;
  const unsigned int flags = socket_address->isIpv6() ? UV_TCP_IPV6ONLY : 0;
  int error = uv_tcp_bind(&handle->tcp, socket_address->get(), flags);
  if (error == 0) {
    // libuv reports a port in use here, not from the bind.
    error = uv_listen(reinterpret_cast<uv_stream_t*>(&handle->tcp), kBacklog,
                      &LibuvListener::onConnection);
  }
  if (error != 0) {
    handle->owner_alive = false;
    close(handle);
    return listenError(address, port, error);
  }
  const uint16_t bound = boundPort(&handle->tcp);
  handle->where = endpointText(address, bound);
  return std::unique_ptr<LibuvListener>(new LibuvListener(handle, bound));
}

LibuvListener::~LibuvListener() {
  handle_->owner_alive = false;
  close(handle_);
}

void LibuvListener::close(Handle* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(&handle->tcp),
           [](uv_handle_t* tcp) { delete static_cast<Handle*>(tcp->data); });
}

void LibuvListener::onConnection(uv_stream_t* server, int status) {
  auto* handle = static_cast<Handle*>(server->data);
  if (!handle->owner_alive) {
    return;
  }
  if (status < 0) {
    spdlog::warn("cannot accept a connection on {}: {}", handle->where, uv_strerror(status));
    return;
  }
  auto client = std::make_unique<RelayStream>(handle->loop);
  if (const int error = client->accept(server); error != 0) {
    spdlog::warn("cannot accept a connection on {}: {}", handle->where, uv_strerror(error));
    return;
  }
  // The callback lives in the block, which outlives a listener destroyed inside it.
  handle->on_accept(
      std::make_unique<LibuvConnection>(handle->loop, std::move(client), handle->limits));
}

}  // namespace pfd::relay
