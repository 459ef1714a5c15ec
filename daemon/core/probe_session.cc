#include "daemon/core/probe_session.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pfd::core {

ProbeSession::ProbeSession(const ProbeSpec& spec, std::string address,
                           event::Dispatcher& dispatcher, probe::Prober& prober, FirstProbe first,
                           Milliseconds phase, Callbacks callbacks)
    : spec_(spec),
      address_(std::move(address)),
      dispatcher_(dispatcher),
      prober_(prober),
      callbacks_(std::move(callbacks)),
      timer_(dispatcher.createTimer([this] { tick(); })),
      rephase_(first == FirstProbe::kAtOnce),
      phase_(phase) {
  const event::MonotonicTime now = dispatcher_.monotonicTime();
  next_start_ = now + spec_.initial_delay;
  if (first == FirstProbe::kOnPhase) {
    next_start_ = alignToProbeSlot(next_start_ + phase_);
  }
  timer_->enable(std::chrono::duration_cast<Milliseconds>(next_start_ - now));
}

void ProbeSession::tick() {
  // Fixed rate, like the kubelet's ticker: the schedule does not drift by each probe's latency.
  // At least one slot after a probe that went at once, so that the two do not overlap.
  next_start_ = alignToProbeSlot(next_start_ + (rephase_ ? std::max(phase_, kSlot) : spec_.period));
  rephase_ = false;
  const auto until_next =
      std::chrono::duration_cast<Milliseconds>(next_start_ - dispatcher_.monotonicTime());
  timer_->enable(std::max(until_next, Milliseconds(0)));
  if (probing_) {
    return;  // the previous probe is still waiting for its timeout; skip this period
  }
  probing_ = true;
  // The handle is kept until the next probe replaces it: releasing it inside its own callback
  // would destroy the prober's state while it is still on the stack.
  in_flight_ = prober_.run(spec_, address_, [this](probe::ProbeResult result) {
    probing_ = false;
    onResult(std::move(result));
  });
}

void ProbeSession::onResult(probe::ProbeResult result) {
  const bool previous_success = last_.has_value() && last_->result.success;
  const bool changed = !last_.has_value() || previous_success != result.success;
  ProbeStatus status = last_.value_or(ProbeStatus{});
  if (result.success) {
    status.consecutive_successes++;
    status.consecutive_failures = 0;
  } else {
    status.consecutive_failures++;
    status.consecutive_successes = 0;
  }
  status.result = std::move(result);
  status.time = dispatcher_.systemTime();
  last_ = status;

  if (callbacks_.on_result) {
    callbacks_.on_result(status, changed);
  }
  if (status.result.success) {
    unhealthy_reported_ = false;
    if (status.consecutive_successes >= spec_.success_threshold && !ready_reported_) {
      ready_reported_ = true;
      callbacks_.on_ready();
    }
  } else if (status.consecutive_failures >= spec_.failure_threshold && !unhealthy_reported_) {
    unhealthy_reported_ = true;
    ready_reported_ = false;
    callbacks_.on_unhealthy(probeFailureReason(status.result));
  }
}

event::MonotonicTime alignToProbeSlot(event::MonotonicTime time) {
  const auto since_epoch = std::chrono::ceil<Milliseconds>(time.time_since_epoch());
  const auto slots = (since_epoch + ProbeSession::kSlot - Milliseconds(1)) / ProbeSession::kSlot;
  return event::MonotonicTime(slots * ProbeSession::kSlot);
}

std::string probeFailureReason(const probe::ProbeResult& result) {
  return absl::StrCat("readiness probe failed: ", result.message);
}

}  // namespace pfd::core
