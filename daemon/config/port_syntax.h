#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/core/forward_spec.h"

namespace pfd::config {

// What a port entry may map to: a kubectl forward maps a local port to a remote one, a command
// forward only names the local port its program serves.
enum class PortSyntax { kLocalToRemote, kLocalOnly };

// Parses one entry of `ports:` in kubectl's syntax: "LOCAL:REMOTE" or "PORT" (the same port on
// both sides). REMOTE may be a named container port; LOCAL must be a fixed number, since pfd
// probes and reports it (kubectl's ":REMOTE" random local port is refused). For kLocalOnly the
// remote side stays empty. Errors carry only the message; the caller adds the position.
absl::StatusOr<core::PortSpec> parsePortSpec(absl::string_view text, PortSyntax syntax);

}  // namespace pfd::config
