#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/core/forward_spec.h"
#include "daemon/core/hold_times.h"
#include "daemon/core/tap_hub.h"
#include "daemon/event/dispatcher.h"
#include "daemon/relay/relay.h"

namespace pfd::core {

// What `pfctl status` shows of a forward's traffic.
struct ConnectionCounters {
  uint64_t active = 0;    // relayed right now
  uint64_t accepted = 0;  // since the forward was created
  uint64_t held = 0;      // waiting right now for a kubectl that serves
  uint64_t dropped = 0;   // closed without being relayed (holdTimeout, FAILED, stopped)
  uint64_t failed = 0;    // the upstream refused or reset it
  uint64_t replayed = 0;  // sent again to another kubectl after its upstream failed unanswered
  uint64_t bytes_in = 0;  // client -> pod
  uint64_t bytes_out = 0;
  Milliseconds hold_p50{0};  // of the connections that had to wait
  Milliseconds hold_p99{0};
};

// Where relayed connections go: one kubectl's ephemeral port per local port of the forward.
struct Upstream {
  uint64_t id = 0;  // the run it belongs to, so its connections can be counted
  std::vector<uint16_t> ports;
};

// A forward's held local ports and the connections accepted on them. It binds every local port
// on every address of the spec, and routes each connection: to the upstream that serves now, or
// into a FIFO of held connections (unread, each closed after holdTimeout) until one serves, or
// closed at once while the forward cannot serve (FAILED). A connection whose upstream failed
// before answering is replayed: it waits again, with the bytes the client sent, for an upstream
// other than the one that failed it. Bytes are moved by the relay seam.
class PortHolder {
 public:
  struct Callbacks {
    // A line for the forward's log ("3 connections waited 10s (holdTimeout) ...: closed").
    std::function<void(const std::string&)> note;
    // Connections that waited were closed unrelayed (holdTimeout, FAILED); the same text as the
    // note. May be null.
    std::function<void(const std::string&)> on_dropped;
    // A connection started waiting (lazy start: the first one wakes the forward).
    std::function<void()> on_waiting;
    // The last connection relayed to this upstream closed (a draining run may stop).
    std::function<void(uint64_t upstream_id)> on_upstream_idle;
  };
  struct BindFailure {
    std::string address;
    uint16_t port = 0;
    absl::Status status;  // AlreadyExists: in use; see relay::Relay::listen for the others
  };

  // `taps` (may be null) sees the connections and, while a tap wants them, their bytes.
  PortHolder(event::Dispatcher& dispatcher, relay::Relay& relay, Callbacks callbacks,
             TapHub* taps = nullptr);
  ~PortHolder();
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;

  // Makes the listeners match `spec` (its ports, on each of its addresses): listeners that stay
  // are kept, with their connections; others are closed at once, new ones bound. On a failure the
  // ports bound so far stay bound.
  std::optional<BindFailure> bind(const ForwardSpec& spec);
  // Closes every listener and every connection (STOPPED, shutdown).
  void release();
  // Every listener `spec` asks for is bound, with its hold and replay settings.
  bool boundFor(const ForwardSpec& spec) const;

  // New and waiting connections go to `upstream`.
  void serve(Upstream upstream);
  // No upstream serves: new connections wait (up to holdTimeout).
  void hold();
  // The forward cannot serve: waiting and new connections are closed at once.
  void refuse(const std::string& reason);

  ConnectionCounters counters() const;
  // Connections relayed to the upstream of run `upstream_id` that are still open.
  size_t connectionsOn(uint64_t upstream_id) const;
  // No connection is open or waiting.
  bool idle() const { return active_.empty() && held_.empty(); }
  size_t waiting() const { return held_.size(); }
  // When the last connection was accepted or closed; nullopt before the first one.
  std::optional<event::MonotonicTime> lastActivity() const { return last_activity_; }
  std::optional<event::SystemTime> lastActivitySystem() const { return last_activity_system_; }

 private:
  enum class Mode { kHold, kServe, kRefuse };
  // Who a connection is, for taps: its number in the forward and when it was accepted.
  struct Identity {
    uint64_t number = 0;
    uint16_t local_port = 0;
    event::MonotonicTime accepted;
  };
  struct Waiting {
    relay::ConnectionPtr connection;
    Identity identity;
    size_t port_index = 0;
    event::MonotonicTime since;
    uint64_t avoid_upstream = 0;  // a replay does not go back to the upstream that failed it
    bool replay = false;
  };
  struct Relayed {
    relay::ConnectionPtr connection;
    Identity identity;
    size_t port_index = 0;
    uint64_t upstream_id = 0;
    std::unique_ptr<TappedConnection> tapped;  // made when a tap first wanted its bytes
    bool tapping = false;                      // tapped is set on the connection now
  };

  void onAccept(size_t port_index, relay::ConnectionPtr connection);
  void relay(relay::ConnectionPtr connection, Identity identity, size_t port_index);
  // Sets or clears each relayed connection's tap to match what the attached taps want.
  void applyTaps();
  void applyTap(Relayed& relayed);
  void tapClosed(const relay::Connection& connection, const Identity& identity, uint64_t bytes_in,
                 uint64_t bytes_out, const std::string& reason);
  // Relays the waiting connections that the serving upstream may take, oldest first.
  void relayWaiting();
  void onRelayEnd(uint64_t key, const relay::RelayEnd& end);
  void dropExpired();
  void armHoldTimer();
  // A note, and an event on the forward: waiting connections were closed unrelayed.
  void dropped(const std::string& text);
  void releaseLater(relay::ConnectionPtr connection);

  event::Dispatcher& dispatcher_;
  relay::Relay& relay_;
  Callbacks callbacks_;
  TapHub* taps_;
  Milliseconds hold_timeout_{10000};
  size_t replay_buffer_ = 0;
  std::vector<uint16_t> local_ports_;
  std::map<std::pair<std::string, uint16_t>, relay::ListenerPtr> listeners_;
  bool complete_ = false;  // every listener of the spec is bound
  // What the listeners were bound for: a spec asking for anything else binds again.
  std::string bound_address_;
  std::vector<PortSpec> bound_ports_;

  Mode mode_ = Mode::kHold;
  std::string refuse_reason_;
  Upstream upstream_;
  std::list<Waiting> held_;  // oldest first: their deadlines are in the same order
  std::map<uint64_t, Relayed> active_;
  std::map<uint64_t, size_t> per_upstream_;  // open connections by upstream id
  uint64_t next_key_ = 1;
  event::TimerPtr hold_timer_;

  std::optional<event::MonotonicTime> last_activity_;
  std::optional<event::SystemTime> last_activity_system_;
  void touch();
  ConnectionCounters totals_;  // of closed connections; live ones are added in counters()
  HoldTimes hold_times_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for posted work
};

// The addresses a forward's `address` binds: "localhost" is 127.0.0.1 and ::1, as for kubectl;
// a list is split at commas.
std::vector<std::string> listenAddresses(const std::string& address);

}  // namespace pfd::core
