#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "daemon/probe/prober.h"

namespace pfd::probe {

// The `done` callback of one probe together with the moment the probe started, so that every
// prober measures latency the same way and runs the callback at most once.
class ProbeCompletion {
 public:
  explicit ProbeCompletion(std::function<void(ProbeResult)> done);

  // A result whose latency runs from construction until now.
  ProbeResult result(bool success, std::string message) const;

  // Runs the callback unless it already ran. The callback may destroy the probe that owns this
  // object, so callers must return without touching their members afterwards.
  void complete(ProbeResult result);

 private:
  std::chrono::steady_clock::time_point start_;
  std::function<void(ProbeResult)> done_;
};

}  // namespace pfd::probe
