#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "daemon/config/mapping_reader.h"
#include "daemon/config/probe_parser.h"
#include "daemon/core/forward_spec.h"
#include "daemon/core/notify_spec.h"

namespace pfd::config {

// What `defaults:` contributes to every forward: the fields of `base` (kubectl, kubeconfig,
// context, namespace, address, backoff, timeouts, held ports) and an optional readiness probe.
struct ForwardDefaults {
  core::ForwardSpec base;
  std::optional<ParsedProbe> readiness;
  core::NotifySpec notify;  // `notify` and `notifyAfter`, for command forwards too
};

// Reads the `defaults:` mapping over ForwardSpec's own defaults.
absl::StatusOr<ForwardDefaults> parseDefaults(const MappingReader& defaults);

// Reads the fields a forward shares with `defaults:` (all but readiness and the held-port ones of
// held_ports_parser.h) from `reader` over `spec`. Used for the defaults mapping and for each
// forward.
absl::Status readSharedFields(const MappingReader& reader, core::ForwardSpec& spec);

}  // namespace pfd::config
