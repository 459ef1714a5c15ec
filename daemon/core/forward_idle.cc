// Lazy start (start: onDemand): the forward holds its ports from activation but runs no kubectl
// (IDLE) until a connection arrives or the user starts it; after idleTimeout without a connection
// it stops kubectl and is IDLE again. Probes go to kubectl's own port, never through the held
// ones, so they neither keep a forward awake nor wake it.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daemon/core/forward.h"
#include "daemon/core/wording.h"
#include "spdlog/spdlog.h"

namespace pfd::core {
bool Forward::onDemand() const {
  return spec_.start == ForwardSpec::Start::kOnDemand && spec_.holdsPorts();
}

bool Forward::wanted() const { return !onDemand() || awake_; }

void Forward::wake() {
  if (!onDemand()) {
    return;
  }
  if (!awake_) {
    awake_ = true;
    awake_since_ = context_.dispatcher.monotonicTime();
  }
  if (spec_.idle_timeout.count() > 0) {
    idle_timer_->enable(spec_.idle_timeout);
  }
}

void Forward::onConnectionWaiting() {
  if (state_ != ForwardState::kIdle || lifecycle_ != Lifecycle::kRunning) {
    return;  // already starting, or backing off: the connection waits for that run
  }
  note("a connection arrived: starting kubectl");
  spdlog::info("{}: a connection arrived: starting kubectl", spec_.name);
  wake();
  run();
}

void Forward::enterIdle(const std::string& reason) {
  retry_timer_->disable();
  idle_timer_->disable();
  awake_ = false;
  if (holder_ != nullptr) {
    holder_->hold();
  }
  // The pod watch stays, and the target's object is fetched ahead: a first connection then finds
  // its pod without asking the API server, and only kubectl port-forward stands between it and
  // the pod.
  if (needsResolution(spec_) && context_.pod_watches != nullptr && pod_watch_ == nullptr) {
    pod_watch_ = context_.pod_watches->registerForward(
        spec_, [this](const PodEvent& event) { onPodEvent(event); });
  }
  if (needsResolution(spec_) && !target_cache_.has_value() && context_.prefetcher != nullptr &&
      prefetch_ == nullptr) {
    prefetch_ = context_.prefetcher->fetch(spec_, [this](const TargetObject& object) {
      if (!target_cache_.has_value()) {
        target_cache_ = object;
      }
    });
  }
  setState(ForwardState::kIdle, reason);
}

void Forward::onIdleTimer() {
  if (!awake_ || lifecycle_ != Lifecycle::kRunning || holder_ == nullptr) {
    return;
  }
  const event::MonotonicTime now = context_.dispatcher.monotonicTime();
  if (!holder_->idle()) {
    idle_timer_->enable(spec_.idle_timeout);  // in use: look again a whole timeout later
    return;
  }
  const event::MonotonicTime last =
      std::max(awake_since_, holder_->lastActivity().value_or(awake_since_));
  const auto quiet = std::chrono::duration_cast<Milliseconds>(now - last);
  if (quiet < spec_.idle_timeout) {
    idle_timer_->enable(spec_.idle_timeout - quiet);
    return;
  }
  const std::string text =
      absl::StrCat("no connection for ", formatDelay(spec_.idle_timeout), " (idleTimeout)",
                   current_ != nullptr ? ": kubectl stopped" : "");
  spdlog::info("{}: {}", spec_.name, text);
  pod_check_.reset();
  retireAll();
  enterIdle(text);
}

std::optional<event::SystemTime> Forward::lastServed() const {
  if (holder_ == nullptr) {
    return std::nullopt;
  }
  return holder_->lastActivitySystem();
}

}  // namespace pfd::core
