#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/config/config.h"
#include "daemon/config/mapping_reader.h"

namespace pfd::config {

// Where the metrics endpoint listens, as written in `metrics.address`.
struct MetricsAddress {
  std::string host;  // inet_ntop's spelling
  uint16_t port = MetricsConfig::kDefaultPort;
};

// "127.0.0.1:9469", "[::1]:9469", "localhost:9469" (127.0.0.1), or a host alone ("127.0.0.1",
// "::1", "localhost"), which listens on MetricsConfig::kDefaultPort. Errors carry only the
// message; the caller adds the position.
absl::StatusOr<MetricsAddress> parseMetricsAddress(absl::string_view text);

// 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z). `host` is an IP literal.
bool isLoopbackHost(absl::string_view host);

// The top-level `metrics:` mapping. A non-loopback address without `allowRemote: true` is an
// error pointing at the address.
absl::StatusOr<MetricsConfig> parseMetrics(const MappingReader& metrics);

}  // namespace pfd::config
