#include "daemon/core/tap_hub.h"

#include <algorithm>
#include <utility>

namespace pfd::core {

void TapHub::attach(TapSink* sink, TapFilter filter) {
  entries_.push_back(Entry{.sink = sink, .filter = filter});
  attached_++;
  if (on_change_) {
    on_change_();
  }
}

void TapHub::detach(TapSink* sink) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [sink](const Entry& entry) { return entry.sink == sink; });
  if (it == entries_.end()) {
    return;
  }
  it->sink = nullptr;
  attached_--;
  compact();
  if (on_change_) {
    on_change_();
  }
}

void TapHub::compact() {
  if (publishing_ == 0) {
    std::erase_if(entries_, [](const Entry& entry) { return entry.sink == nullptr; });
  }
}

bool TapHub::wantsBytes(uint16_t local_port) const {
  return std::any_of(entries_.begin(), entries_.end(), [local_port](const Entry& entry) {
    return entry.sink != nullptr && !entry.filter.connections_only &&
           covers(entry.filter, local_port);
  });
}

void TapHub::publish(uint16_t local_port, const TapChunk& chunk) {
  publishing_++;
  // By index: a sink may attach another tap while this runs (the vector may grow).
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry entry = entries_[i];
    if (entry.sink == nullptr || entry.filter.connections_only ||
        !covers(entry.filter, local_port)) {
      continue;
    }
    if (entry.filter.max_bytes == 0 || chunk.data.size() <= entry.filter.max_bytes) {
      entry.sink->onChunk(chunk);
      continue;
    }
    TapChunk cut = chunk;
    cut.data = chunk.data.substr(0, entry.filter.max_bytes);
    entry.sink->onChunk(cut);
  }
  publishing_--;
  compact();
}

void TapHub::publish(const TapConnectionEvent& event) {
  publishing_++;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry entry = entries_[i];
    if (entry.sink != nullptr && covers(entry.filter, event.local_port)) {
      entry.sink->onConnection(event);
    }
  }
  publishing_--;
  compact();
}

void TapHub::endAll(const std::string& reason) {
  std::vector<Entry> ended = std::move(entries_);
  entries_.clear();
  attached_ = 0;
  for (const Entry& entry : ended) {
    if (entry.sink != nullptr) {
      entry.sink->onTapEnded(reason);
    }
  }
  if (on_change_) {
    on_change_();
  }
}

void TappedConnection::resync(const relay::Connection& connection) {
  offsets_[0] = connection.bytesRead(relay::Direction::kToUpstream);
  offsets_[1] = connection.bytesRead(relay::Direction::kToClient);
}

void TappedConnection::onRelayed(relay::Direction direction, const char* data, size_t length) {
  uint64_t& offset = offsets_[direction == relay::Direction::kToUpstream ? 0 : 1];
  hub_.publish(local_port_, TapChunk{.connection = number_,
                                     .peer = peer_,
                                     .direction = direction,
                                     .time = dispatcher_.systemTime(),
                                     .offset = offset,
                                     .length = length,
                                     .data = absl::string_view(data, length)});
  offset += length;
}

}  // namespace pfd::core
