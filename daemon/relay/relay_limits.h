#pragma once

#include <cstddef>

namespace pfd::relay {

// Backpressure per connection and direction, as Envoy's watermark buffers do it: reading a side
// stops while the writes queued to the other side hold more than `high_watermark` bytes of
// buffers, and resumes once they hold less than `low_watermark`. A connection therefore holds at
// most about high_watermark + one read buffer (64 KiB) per direction, whatever its peers do.
// 1 MiB is Envoy's default per-connection buffer limit; resuming at a quarter of it refills the
// queue well before the socket drains it.
struct RelayLimits {
  size_t high_watermark = size_t{1024} * 1024;
  size_t low_watermark = size_t{256} * 1024;
};

}  // namespace pfd::relay
