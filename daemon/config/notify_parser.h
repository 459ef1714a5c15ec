#pragma once

#include "absl/status/status.h"
#include "daemon/config/mapping_reader.h"
#include "daemon/core/notify_spec.h"

namespace pfd::config {

// Reads `notify` (a bool) and `notifyAfter` (a positive duration) from `reader` over `spec`, so a
// forward's own keys override `defaults:`.
absl::Status readNotify(const MappingReader& reader, core::NotifySpec& spec);

}  // namespace pfd::config
