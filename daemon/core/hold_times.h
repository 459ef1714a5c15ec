#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "daemon/core/forward_spec.h"

namespace pfd::core {

// How long the last connections waited before they were relayed, for status percentiles. A fixed
// ring: recording costs a store, and memory does not grow with traffic.
class HoldTimes {
 public:
  static constexpr size_t kKept = 512;

  void record(Milliseconds waited) {
    samples_[next_ % kKept] =
        static_cast<uint32_t>(std::clamp<int64_t>(waited.count(), 0, INT32_MAX));
    next_++;
  }

  // The `fraction` quantile (0.5, 0.99) of the kept samples; 0 when there are none.
  Milliseconds quantile(double fraction) const {
    const size_t count = std::min<size_t>(next_, kKept);
    if (count == 0) {
      return Milliseconds(0);
    }
    std::array<uint32_t, kKept> sorted = samples_;
    auto end = sorted.begin() + static_cast<std::ptrdiff_t>(count);
    std::sort(sorted.begin(), end);
    const auto index = static_cast<size_t>(fraction * static_cast<double>(count - 1) + 0.5);
    return Milliseconds(sorted[std::min(index, count - 1)]);
  }

 private:
  std::array<uint32_t, kKept> samples_{};
  uint64_t next_ = 0;
};

}  // namespace pfd::core
