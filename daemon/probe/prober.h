#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/core/forward_spec.h"

namespace pfd::probe {

struct ProbeResult {
  bool success = false;
  // What a user reads in `pfctl status`: "HTTP 200", "HTTP 503 from /healthz",
  // "timeout after 1s", "connection refused on 127.0.0.1:8080", "exit code 1".
  std::string message;
  std::chrono::milliseconds latency{0};
  // The local address the probe's connection went out from ("10.8.0.2"); "" when it made none
  // (exec) or did not connect. Another one after a network change means the route changed.
  std::string local_address;
};

// One probe in flight. Destroying it cancels the probe: its callback will not run.
class ProbeHandle {
 public:
  virtual ~ProbeHandle() = default;
};
using ProbeHandlePtr = std::unique_ptr<ProbeHandle>;

// Runs readiness checks on the loop without blocking it. `done` runs exactly once on the loop
// thread (never from inside run()) unless the handle is destroyed first.
class Prober {
 public:
  virtual ~Prober() = default;
  // `address` is the forward's local address (127.0.0.1); spec.port is one of its local ports.
  // The check gives up after spec.timeout.
  virtual ProbeHandlePtr run(const core::ProbeSpec& spec, const std::string& address,
                             std::function<void(ProbeResult)> done) = 0;
};
using ProberPtr = std::unique_ptr<Prober>;

}  // namespace pfd::probe
