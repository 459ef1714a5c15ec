#pragma once

#include "absl/status/status.h"
#include "daemon/config/mapping_reader.h"
#include "daemon/core/forward_spec.h"

namespace pfd::config {

// Reads the `backoff:` mapping of `owner` (the defaults or a forward), if present, over
// `backoff`: fields it leaves out keep their inherited values. Then checks the merged result:
// initial > 0, max >= initial, multiplier >= 1, 0 <= jitter < 1, resetAfter > 0.
absl::Status readBackoff(const MappingReader& owner, core::BackoffSpec& backoff);

}  // namespace pfd::config
