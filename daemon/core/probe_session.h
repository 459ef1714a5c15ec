#pragma once

#include <functional>
#include <optional>
#include <string>

#include "daemon/core/forward_spec.h"
#include "daemon/event/dispatcher.h"
#include "daemon/probe/prober.h"

namespace pfd::core {

// The last probe result as status shows it.
struct ProbeStatus {
  probe::ProbeResult result;
  event::SystemTime time;
  int consecutive_successes = 0;
  int consecutive_failures = 0;
};

// Runs one forward's readiness probe on a period and applies Kubernetes' thresholds:
// successThreshold consecutive passes make it ready, failureThreshold consecutive failures make it
// unhealthy. Lives as long as one child run; destroying it cancels the probe in flight.
//
// Probes (all but one that goes at once) start on a grid of kSlot on the monotonic clock that
// every session shares. Periods are whole seconds, so a session stays in its slot, and forwards in
// the same slot wake the loop once between them instead of once each: on a VM a wake-up costs more
// than the probe's own connect (bench/daemon_probes.py).
class ProbeSession {
 public:
  static constexpr Milliseconds kSlot{100};

  struct Callbacks {
    std::function<void()> on_ready;                               // success threshold reached
    std::function<void(const std::string& reason)> on_unhealthy;  // failure threshold reached
    // Every result; `changed` is true when it differs (pass/fail) from the previous one, so the
    // caller can log transitions instead of every period.
    std::function<void(const ProbeStatus&, bool changed)> on_result;
  };

  // When the first probe goes, after initialDelay.
  enum class FirstProbe {
    // `phase` after initialDelay: forwards that start together (pfd's own start) do not probe in
    // lock-step; the kubelet does the same after it restarts.
    kOnPhase,
    // At once, because it decides when a restarted child is ready again; the probes after it
    // take `phase` to join their rhythm, so that children restarted together (`restart --all`, a
    // reload) do not stay in lock-step either.
    kAtOnce,
  };

  // `phase` is in [0, period).
  ProbeSession(const ProbeSpec& spec, std::string address, event::Dispatcher& dispatcher,
               probe::Prober& prober, FirstProbe first, Milliseconds phase, Callbacks callbacks);

  const std::optional<ProbeStatus>& last() const { return last_; }

 private:
  void tick();
  void onResult(probe::ProbeResult result);

  const ProbeSpec spec_;
  const std::string address_;
  event::Dispatcher& dispatcher_;
  probe::Prober& prober_;
  Callbacks callbacks_;
  event::TimerPtr timer_;
  probe::ProbeHandlePtr in_flight_;
  bool probing_ = false;
  event::MonotonicTime next_start_;
  // Set while the probe that went at once has not yet been followed by one on `phase_`.
  bool rephase_;
  const Milliseconds phase_;
  std::optional<ProbeStatus> last_;
  bool ready_reported_ = false;
  bool unhealthy_reported_ = false;
};

// The first grid point at or after `time`.
event::MonotonicTime alignToProbeSlot(event::MonotonicTime time);

// "readiness probe failed: HTTP 503 from /healthz".
std::string probeFailureReason(const probe::ProbeResult& result);

}  // namespace pfd::core
