#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "daemon/relay/relay.h"

namespace pfd::testing {

// What the test sees of one client connection; it outlives the Connection object.
struct FakeConnection {
  std::string peer;
  uint16_t local_port = 0;  // the held port it came in on
  int relay_calls = 0;
  std::string upstream_host;  // of the last relayTo()
  uint16_t upstream_port = 0;
  relay::RelayOptions options;
  std::function<void(const relay::RelayEnd&)> on_end;
  bool closed = false;  // the Connection object was destroyed
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  relay::ConnectionTap* tap = nullptr;  // set by setTap()

  bool relayed() const { return relay_calls > 0; }
  // The relay reports the end of the connection (a close, an upstream failure...).
  void end(relay::RelayEnd end);
  // The relay moves `bytes` one way: the tap (if any) sees them, and the counters grow.
  void move(relay::Direction direction, const std::string& bytes);
};
using FakeConnectionPtr = std::shared_ptr<FakeConnection>;

// A Relay whose listeners and connections are what the test says: clients "connect" on cue, and
// the test reads where each connection was relayed.
class FakeRelay : public relay::Relay {
 public:
  absl::StatusOr<relay::ListenerPtr> listen(const std::string& address, uint16_t port,
                                            AcceptCallback on_accept) override;

  // Another process holds address:port: listen() fails with AlreadyExists.
  void occupy(const std::string& address, uint16_t port) { occupied_.emplace(address, port); }
  void vacate(const std::string& address, uint16_t port) { occupied_.erase({address, port}); }
  bool listening(const std::string& address, uint16_t port) const;
  size_t listenCalls() const { return listen_calls_; }
  // A client connects to address:port (which must be listening).
  FakeConnectionPtr connect(const std::string& address, uint16_t port);
  const std::vector<FakeConnectionPtr>& connections() const { return connections_; }

 private:
  friend class FakeListener;
  std::map<std::pair<std::string, uint16_t>, AcceptCallback> listeners_;
  std::set<std::pair<std::string, uint16_t>> occupied_;
  std::vector<FakeConnectionPtr> connections_;
  size_t listen_calls_ = 0;
  uint16_t next_peer_port_ = 50000;
};

}  // namespace pfd::testing
