#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "daemon/config/mapping_reader.h"
#include "daemon/core/forward_spec.h"
#include "yaml-cpp/mark.h"

namespace pfd::config {

// A readiness probe as written: its port is still unresolved, because a probe in `defaults:`
// belongs to no forward yet and an omitted port means "the forward's first local port".
struct ParsedProbe {
  core::ProbeSpec spec;
  bool port_given = false;
  YAML::Mark port_mark;   // where the port was written, for "not a local port" errors
  std::string port_path;  // its field path ("defaults.readiness.httpGet.port")
};

// Parses a `readiness:` mapping: exactly one handler (httpGet, tcpSocket or exec) and the
// Kubernetes timing fields in whole seconds.
absl::StatusOr<ParsedProbe> parseProbe(const MappingReader& probe);

}  // namespace pfd::config
