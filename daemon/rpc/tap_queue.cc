#include "daemon/rpc/tap_queue.h"

#include <utility>

#include "daemon/rpc/proto_convert.h"

namespace pfd::rpc {

bool TapQueue::admit(size_t cost, size_t limit) {
  if (bytes_ + cost > limit) {
    return false;
  }
  if (dropping()) {
    *message_.add_events()->mutable_dropped() = std::move(dropped_);
    dropped_.Clear();
  }
  bytes_ += cost;
  return true;
}

void TapQueue::add(const core::TapChunk& chunk) {
  if (!admit(chunk.data.size() + kEventOverhead, limit_)) {
    dropped_.set_chunks(dropped_.chunks() + 1);
    dropped_.set_bytes(dropped_.bytes() + chunk.length);
    return;
  }
  v1::TapChunk* out = message_.add_events()->mutable_chunk();
  out->set_connection(chunk.connection);
  out->set_peer(chunk.peer.data(), chunk.peer.size());
  out->set_direction(chunk.direction == relay::Direction::kToUpstream
                         ? v1::TAP_DIRECTION_TO_UPSTREAM
                         : v1::TAP_DIRECTION_TO_CLIENT);
  toTimestamp(chunk.time, out->mutable_time());
  out->set_offset(chunk.offset);
  out->set_length(chunk.length);
  out->set_data(chunk.data.data(), chunk.data.size());
}

void TapQueue::add(const core::TapConnectionEvent& event) {
  if (!admit(event.peer.size() + event.reason.size() + kEventOverhead,
             limit_ + kConnectionHeadroom)) {
    dropped_.set_connection_events(dropped_.connection_events() + 1);
    return;
  }
  v1::TapConnection* out = message_.add_events()->mutable_connection();
  out->set_connection(event.connection);
  out->set_closed(event.kind == core::TapConnectionEvent::Kind::kClosed);
  out->set_peer(event.peer);
  out->set_local_port(event.local_port);
  toTimestamp(event.time, out->mutable_time());
  if (event.kind == core::TapConnectionEvent::Kind::kClosed) {
    out->set_bytes_in(event.bytes_in);
    out->set_bytes_out(event.bytes_out);
    toDuration(event.duration, out->mutable_duration());
    out->set_reason(event.reason);
  }
}

v1::TapMessage TapQueue::take() {
  if (dropping()) {
    *message_.add_events()->mutable_dropped() = std::move(dropped_);
    dropped_.Clear();
  }
  v1::TapMessage taken = std::move(message_);
  message_.Clear();
  bytes_ = 0;
  return taken;
}

}  // namespace pfd::rpc
