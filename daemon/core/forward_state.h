#pragma once

#include "absl/strings/string_view.h"

namespace pfd::core {

enum class ForwardState {
  kStarting,   // child spawned, waiting for it to forward every port
  kReady,      // every port forwards (and the readiness probe passes)
  kUnhealthy,  // the readiness probe failed failureThreshold times; a restart follows
  kBackoff,    // the child died or broke; waiting for the retry timer
  kStopped,    // stopped by the user or disabled in the config
  kFailed,     // an error retrying cannot fix; waits for start, restart or reload
  kIdle,       // start: onDemand, and no connection needs it: its ports are held, no kubectl runs
};

constexpr absl::string_view forwardStateName(ForwardState state) {
  switch (state) {
    case ForwardState::kStarting:
      return "STARTING";
    case ForwardState::kReady:
      return "READY";
    case ForwardState::kUnhealthy:
      return "UNHEALTHY";
    case ForwardState::kBackoff:
      return "BACKOFF";
    case ForwardState::kStopped:
      return "STOPPED";
    case ForwardState::kFailed:
      return "FAILED";
    case ForwardState::kIdle:
      return "IDLE";
  }
  return "UNKNOWN";
}

}  // namespace pfd::core
