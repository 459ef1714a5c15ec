#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

// The data path seam: pfd holds a forward's local ports and relays each accepted connection to
// the kubectl that serves now. core/ decides (hold, relay to which upstream, replay, drop); the
// implementation behind this header (libuv_relay.h) only moves bytes. No libuv types here, so
// core/ and its unit tests (tests/fakes/fake_relay.h) never see the loop.
namespace pfd::relay {

// How a relayed connection ended, reported once.
struct RelayEnd {
  enum class Kind {
    // Both directions finished (EOF propagated each way as a shutdown), or the client went away.
    kClosed,
    // The upstream failed before a single byte came back from it: the connect was refused or
    // failed, it was reset, or it closed while the connection is replayable (see below). With
    // `replayable`, the client is still open and untouched and relayTo() may be called again.
    kUpstreamFailed,
    // Anything else that broke the connection after the upstream had answered (a reset on either
    // side mid-stream).
    kError,
  };
  Kind kind = Kind::kClosed;
  std::string reason;              // "connection refused by 127.0.0.1:41234", "reset by the client"
  bool upstream_answered = false;  // at least one byte came back from the upstream
  bool replayable = false;         // kUpstreamFailed only: every client byte is still buffered
  uint64_t bytes_in = 0;           // client -> upstream, delivered to the upstream socket
  uint64_t bytes_out = 0;          // upstream -> client
};

struct RelayOptions {
  // Client bytes kept until the upstream answers, so that a connection whose upstream failed
  // before answering can be sent again to another upstream. 0: nothing is kept and an upstream
  // that closes without answering is an ordinary close (EOF is propagated to the client).
  size_t replay_buffer = 0;
};

// Which way bytes move through a relayed connection.
enum class Direction {
  kToUpstream,  // read from the client, written to the upstream (socat's ">")
  kToClient,    // read from the upstream, written to the client ("<")
};

// Sees the bytes a connection relays (pfctl tap), on the loop, as each read lands and before it
// is written on. It must not touch the connection; what it keeps it copies.
class ConnectionTap {
 public:
  virtual ~ConnectionTap() = default;
  virtual void onRelayed(Direction direction, const char* data, size_t length) = 0;
};

// One accepted client connection. Until relayTo() it is held: pfd reads nothing from it.
// Destroying it closes whatever is still open (the client, the upstream); no callback runs after.
// It must not be destroyed from inside its own on_end callback: release it on the next turn.
class Connection {
 public:
  virtual ~Connection() = default;

  // "127.0.0.1:54321": the client's address, for logs.
  virtual const std::string& peer() const = 0;
  // Bytes moved so far (live, for status).
  virtual uint64_t bytesIn() const = 0;
  virtual uint64_t bytesOut() const = 0;

  // Bytes read so far in `direction`, written on or still queued: where the next relayed byte
  // sits in that direction's stream (a tap that attaches mid-connection starts counting here).
  virtual uint64_t bytesRead(Direction direction) const = 0;
  // Shows every read to `tap` from now on; nullptr stops it. The caller keeps `tap` alive while it
  // is set. With no tap the relay pays one null check per read.
  virtual void setTap(ConnectionTap* tap) = 0;

  // Connects to host:port (an IP literal) and moves bytes both ways on the loop, with
  // backpressure, until both directions are finished or one side failed; then `on_end` runs once,
  // on the loop, never from inside relayTo(). Called again only after an on_end that said
  // `replayable`: the buffered client bytes are sent first to the new upstream.
  virtual void relayTo(const std::string& host, uint16_t port, const RelayOptions& options,
                       std::function<void(const RelayEnd&)> on_end) = 0;
};
using ConnectionPtr = std::unique_ptr<Connection>;

// A bound, listening local port. Destroying it closes the socket at once, so the port can be
// bound again right after (by another forward, on a reload).
class Listener {
 public:
  virtual ~Listener() = default;
  virtual uint16_t port() const = 0;  // the bound port (useful when 0 was asked for)
};
using ListenerPtr = std::unique_ptr<Listener>;

class Relay {
 public:
  using AcceptCallback = std::function<void(ConnectionPtr)>;

  virtual ~Relay() = default;
  // Binds address:port (an IP literal; "0.0.0.0" and "::" are wildcards; port 0: any) and listens.
  // Every accepted connection goes to `on_accept`, unread. Errors say what and where:
  // AlreadyExists when the port is in use, PermissionDenied for a privileged port,
  // Unavailable when the address is not on this machine (yet: a VPN may bring it).
  virtual absl::StatusOr<ListenerPtr> listen(const std::string& address, uint16_t port,
                                             AcceptCallback on_accept) = 0;
};

}  // namespace pfd::relay
