#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/relay/relay.h"
#include "daemon/relay/relay_limits.h"

namespace pfd::relay {

// The Relay on a libuv loop: listeners are LibuvListeners, connections LibuvConnections, and
// everything runs on the loop's thread. It holds no handle itself, so it may be destroyed at any
// time; listeners and connections it made close their own handles when they are destroyed (the
// loop must still run for their close callbacks to free them).
//
// "0.0.0.0" is every IPv4 address; "::" is every IPv6 address and only those (IPV6_V6ONLY, as
// kubectl binds it, and whatever net.ipv6.bindv6only says), so a forward may hold the same port
// on "0.0.0.0" and "::" as two listeners, and "localhost" as 127.0.0.1 and ::1.
class LibuvRelay : public Relay {
 public:
  // Fails if SIGPIPE is not ignored: libuv writes with write(2), and a client that hangs up
  // mid-write would otherwise kill the process (the daemon ignores it in main()).
  static absl::StatusOr<std::unique_ptr<LibuvRelay>> create(uv_loop_t* loop,
                                                            const RelayLimits& limits = {});

  absl::StatusOr<ListenerPtr> listen(const std::string& address, uint16_t port,
                                     AcceptCallback on_accept) override;

 private:
  LibuvRelay(uv_loop_t* loop, const RelayLimits& limits) : loop_(loop), limits_(limits) {}

  uv_loop_t* loop_;
  RelayLimits limits_;
};

}  // namespace pfd::relay
