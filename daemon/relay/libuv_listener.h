#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/relay/relay.h"
#include "daemon/relay/relay_limits.h"

namespace pfd::relay {

// A listening TCP socket whose accepted connections become LibuvConnections, unread. The handle
// and the accept callback live in a block that frees itself in the close callback, so the
// listener may be destroyed from inside its own accept callback. Destroying it closes the socket
// at once (libuv closes the descriptor inside uv_close), so the port is free again right away.
class LibuvListener : public Listener {
 public:
  // Binds and listens; the errors are those Relay::listen() documents. An IPv6 address is bound
  // IPv6-only, so "::" does not take the IPv4 port too (as kubectl, and Go's "tcp6", do).
  static absl::StatusOr<std::unique_ptr<LibuvListener>> create(uv_loop_t* loop,
                                                               const std::string& address,
                                                               uint16_t port,
                                                               const RelayLimits& limits,
                                                               Relay::AcceptCallback on_accept);
  ~LibuvListener() override;
  LibuvListener(const LibuvListener&) = delete;
  LibuvListener& operator=(const LibuvListener&) = delete;

  uint16_t port() const override { return port_; }

  // Connections waiting in the kernel's accept queue are this many at most (the kernel caps it
  // at net.core.somaxconn). A burst of clients while pfd is busy should wait, not be refused.
  static constexpr int kBacklog = 511;

 private:
  struct Handle;
  LibuvListener(Handle* handle, uint16_t port) : handle_(handle), port_(port) {}
  static void onConnection(uv_stream_t* server, int status);
  static void close(Handle* handle);

  Handle* handle_;
  uint16_t port_;
};

}  // namespace pfd::relay
