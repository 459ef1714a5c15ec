#include "daemon/relay/replay_buffer.h"

namespace pfd::relay {

void ReplayBuffer::keep(const char* data, size_t length) {
  if (lost_) {
    return;
  }
  if (bytes_.size() + length > limit_) {
    release();
    lost_ = true;
    return;
  }
  bytes_.append(data, length);
}

void ReplayBuffer::release() {
  bytes_.clear();
  bytes_.shrink_to_fit();
}

}  // namespace pfd::relay
