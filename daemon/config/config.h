#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/forward_spec.h"
#include "daemon/core/notify_spec.h"

namespace pfd::config {

// The top-level `metrics:` mapping: where pfd serves GET /metrics (docs/config.md).
struct MetricsConfig {
  static constexpr uint16_t kDefaultPort = 9469;
  std::string host = "127.0.0.1";  // an IP literal, inet_ntop's spelling
  uint16_t port = kDefaultPort;
  bool allow_remote = false;  // `allowRemote:`; without it only loopback hosts are accepted

  // "127.0.0.1:9469", "[::1]:9469".
  std::string address() const {
    return host.find(':') == std::string::npos ? host + ":" + std::to_string(port)
                                               : "[" + host + "]:" + std::to_string(port);
  }
  bool operator==(const MetricsConfig&) const = default;
};

// A loaded config file: the desired forwards, in file order, with `defaults:` applied.
struct Config {
  std::string path;                         // the file it came from
  std::vector<core::ForwardSpec> forwards;  // defaults applied, in file order
  bool reload_on_change = true;             // top-level `reloadOnChange:` (watch the file)
  // Desktop notifications, by forward name: only the forwards with `notify: true`. Apart from
  // the specs, so that changing them restarts nothing.
  std::map<std::string, core::NotifySpec> notify;
  std::optional<MetricsConfig> metrics;  // top-level `metrics:`; absent: no metrics endpoint

  bool operator==(const Config&) const = default;
};

}  // namespace pfd::config
