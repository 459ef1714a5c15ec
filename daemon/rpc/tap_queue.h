#pragma once

#include <cstddef>
#include <cstdint>

#include "daemon/core/tap_hub.h"
#include "pfd/v1/control.pb.h"

namespace pfd::rpc {

// The events waiting for one tap's stream, bounded: an event that would take the queue past its
// limit is dropped and counted, and the next message says how many were dropped where they were
// (before the first event kept after them). A slow tap thus loses events instead of slowing the
// relay or growing pfd's memory.
class TapQueue {
 public:
  // What one tap may hold at once besides the message being written: as much as a relayed
  // connection's queue (RelayLimits) holds.
  static constexpr size_t kDefaultLimit = size_t{1024} * 1024;
  // Counted for each event besides its bytes, so that many tiny events are bounded too.
  static constexpr size_t kEventOverhead = 64;
  // Room kept for connections opening and closing beyond the limit chunks fill: a stalled tap
  // loses bytes, not the lines that say which connection ended (about 500 events).
  static constexpr size_t kConnectionHeadroom = size_t{64} * 1024;

  explicit TapQueue(size_t limit = kDefaultLimit) : limit_(limit) {}

  void add(const core::TapChunk& chunk);
  void add(const core::TapConnectionEvent& event);
  bool empty() const { return message_.events().empty() && !dropping(); }
  size_t bytes() const { return bytes_; }
  // Everything queued (and the count of what was dropped since the last event kept), in order.
  v1::TapMessage take();

 private:
  bool dropping() const { return dropped_.chunks() > 0 || dropped_.connection_events() > 0; }
  // Room for `cost` more bytes; puts the pending drop notice first when there is.
  bool admit(size_t cost, size_t limit);

  size_t limit_;
  size_t bytes_ = 0;
  v1::TapMessage message_;
  v1::TapDropped dropped_;
};

}  // namespace pfd::rpc
