#pragma once

#include <vector>

#include "absl/status/status.h"
#include "daemon/config/diagnostics.h"
#include "daemon/config/forward_parser.h"

namespace pfd::config {

// Checks `forward` against the forwards listed before it: its name is new, and none of them
// listens on one of its local ports on an overlapping address. Disabled forwards count too,
// since `pfctl start` may enable them at any time. Called as each forward is read, so that the
// first error reported is the first in the file.
absl::Status checkAgainstEarlier(const std::vector<ParsedForward>& earlier,
                                 const ParsedForward& forward, const Diagnostics& diagnostics);

}  // namespace pfd::config
