#pragma once

#include "absl/status/status.h"
#include "daemon/config/mapping_reader.h"
#include "daemon/core/forward_spec.h"

namespace pfd::config {

// Reads the settings of the ports pfd holds and relays (holdPort, holdTimeout, drainTimeout,
// replayBuffer, start, idleTimeout) from `reader` (the defaults or a kubectl forward) over `spec`,
// then checks the merged result: start: onDemand needs holdPort: true.
absl::Status readHeldPorts(const MappingReader& reader, core::ForwardSpec& spec);

// A command forward binds its own ports: refuses holdPort: true, start: onDemand and the settings
// that only held ports have. The forward's spec keeps ForwardSpec's defaults for all of them.
absl::Status checkCommandHoldsNoPorts(const MappingReader& forward);

}  // namespace pfd::config
