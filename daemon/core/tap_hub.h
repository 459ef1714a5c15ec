#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/core/forward_spec.h"
#include "daemon/event/dispatcher.h"
#include "daemon/relay/relay.h"

namespace pfd::core {

// What one `pfctl tap` asks to see of a forward.
struct TapFilter {
  std::optional<uint16_t> port;   // only connections accepted on this local port
  size_t max_bytes = 0;           // bytes kept of each chunk (its header keeps the length); 0: all
  bool connections_only = false;  // only connections opening and closing, no bytes
};

// A read the relay made, as a tap sees it.
struct TapChunk {
  uint64_t connection = 0;  // the forward's connection number (1 for its first connection)
  absl::string_view peer;   // the client's address
  relay::Direction direction = relay::Direction::kToUpstream;
  event::SystemTime time;
  uint64_t offset = 0;     // of the chunk's first byte in its direction's stream
  uint64_t length = 0;     // of the whole chunk
  absl::string_view data;  // valid only during the call; at most the tap's max_bytes
};

struct TapConnectionEvent {
  enum class Kind { kOpened, kClosed };
  Kind kind = Kind::kOpened;
  uint64_t connection = 0;
  std::string peer;
  uint16_t local_port = 0;
  event::SystemTime time;
  // kClosed only: what moved, how long it was open (since accepted), and why it ended.
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  Milliseconds duration{0};
  std::string reason;
};

// One attached tap (the RPC stream). Calls come on the loop; a sink may detach itself from inside
// any of them.
class TapSink {
 public:
  virtual ~TapSink() = default;
  virtual void onChunk(const TapChunk& chunk) = 0;
  virtual void onConnection(const TapConnectionEvent& event) = 0;
  // The forward went away or stopped holding its ports: the sink is detached, nothing follows.
  virtual void onTapEnded(const std::string& reason) = 0;
};

// The taps attached to one forward. It belongs to the forward, not to a run or to the port
// holder's connections, so a tap stays attached across heals, pod switches and restarts.
class TapHub {
 public:
  void attach(TapSink* sink, TapFilter filter);
  void detach(TapSink* sink);
  bool empty() const { return attached_ == 0; }
  size_t size() const { return attached_; }
  // Some tap wants the bytes of connections accepted on `local_port`.
  bool wantsBytes(uint16_t local_port) const;

  void publish(uint16_t local_port, const TapChunk& chunk);
  void publish(const TapConnectionEvent& event);
  // Detaches every tap, telling each why.
  void endAll(const std::string& reason);

  // Runs after a tap attached or detached (the port holder then taps or untaps its connections).
  void setOnChange(std::function<void()> on_change) { on_change_ = std::move(on_change); }

 private:
  struct Entry {
    TapSink* sink = nullptr;  // null once detached while a publish was under way
    TapFilter filter;
  };
  static bool covers(const TapFilter& filter, uint16_t local_port) {
    return !filter.port.has_value() || *filter.port == local_port;
  }
  void compact();

  std::vector<Entry> entries_;
  size_t attached_ = 0;
  int publishing_ = 0;  // a sink may detach (itself or another) while the entries are walked
  std::function<void()> on_change_;
};

// What a relayed connection reports to its forward's taps: it numbers the chunks' offsets in
// each direction from where the connection was when the tap was set.
class TappedConnection : public relay::ConnectionTap {
 public:
  TappedConnection(TapHub& hub, event::Dispatcher& dispatcher, uint64_t number, uint16_t local_port,
                   std::string peer)
      : hub_(hub),
        dispatcher_(dispatcher),
        number_(number),
        local_port_(local_port),
        peer_(std::move(peer)) {}

  // Starts counting from the connection's current position (it was untapped until now).
  void resync(const relay::Connection& connection);
  void onRelayed(relay::Direction direction, const char* data, size_t length) override;

 private:
  TapHub& hub_;
  event::Dispatcher& dispatcher_;
  uint64_t number_;
  uint16_t local_port_;
  std::string peer_;
  uint64_t offsets_[2] = {0, 0};
};

}  // namespace pfd::core
