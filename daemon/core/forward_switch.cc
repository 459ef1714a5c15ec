// How a forward follows its pods: a pod that goes away is an event, not a failure. With held
// ports the forward switches make-before-break: a second run starts on another pod while the old
// one still serves, new connections go to the new run once it is READY, and connections open on
// the old one drain there (drainTimeout, never past the pod's deletion). The rest of the
// forward's life is in forward.cc.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daemon/core/forward.h"
#include "daemon/core/restart_policy.h"
#include "daemon/core/wording.h"
#include "spdlog/spdlog.h"

namespace pfd::core {
void Forward::onPodEvent(const PodEvent& event) {
  if (event.name == pod_ && !event.leaving()) {
    pod_not_ready_ = !event.running_and_ready;
  }
  if (event.type == "DELETED") {
    // Never drain past the pod's own deletion: its containers are gone.
    for (size_t i = 0; i < draining_.size(); ++i) {
      if (draining_[i].tunnel->pod() == event.name) {
        stopDraining(i, absl::StrCat("pod ", event.name, " is gone"));
        break;
      }
    }
  }
  if (next_ != nullptr && event.name == next_->pod() && event.leaving()) {
    // The pod it was switching to goes too (rollouts in a row): pick again.
    note(absl::StrCat("pod ", event.name, " is terminating too: choosing another pod"));
    retire(std::move(next_));
    startNext();
    return;
  }
  if (pod_check_.has_value() && event.name == pod_check_->pod &&
      (event.leaving() || !event.running_and_ready) && current_ != nullptr &&
      current_->pod().empty()) {
    // kubectl reported the loss first and a fresh listing is on its way; the watch answers the
    // question sooner: the pod is going, so move on from the watch's pods, without backoff.
    note(absl::StrCat("pod ", event.name, " is going away: moving on"));
    pod_check_.reset();
    moving_ = true;
    retireCurrent();
    run();
    return;
  }
  const bool ours = current_ != nullptr && event.name == current_->pod() && !current_->broken() &&
                    lifecycle_ == Lifecycle::kRunning;
  if (ours && event.type == "DELETED" && switch_.has_value() && next_ == nullptr) {
    // It served while no other pod was Ready; now it is gone (its kubectl may not know yet, with
    // no traffic): nothing serves until a Ready pod comes. A wait, not a failure.
    const std::string text = absl::StrCat("pod ", event.name, " is gone and no other pod of ",
                                          spec_.target, " is Ready yet: waiting for one");
    note(text);
    spdlog::info("{}: {}", spec_.name, text);
    moving_ = true;
    retireAll();
    run();
    return;
  }
  if (ours && (event.leaving() || !event.running_and_ready)) {
    const std::string why = event.leaving() ? "is terminating" : "is no longer Ready";
    if (canSwitch()) {
      if (!switch_.has_value()) {
        beginSwitch(why);
      }
      return;
    }
    if (event.leaving()) {
      // Not serving yet, or nothing to switch between: move now, without backoff.
      const std::string text =
          absl::StrCat("pod ", event.name, " ", why, ": moving to another pod");
      note(text);
      spdlog::info("{}: {}", spec_.name, text);
      pod_check_.reset();
      moving_ = true;
      retireAll();
      run();
    }
    return;
  }
  const bool ready_pod =
      event.running_and_ready && !event.leaving() &&
      (!target_cache_.has_value() || selectorMatches(target_cache_->selector, event.labels));
  if (switch_.has_value() && switch_->waiting_for_pod && next_ == nullptr && ready_pod &&
      event.name != switch_->from_pod) {
    switch_retry_timer_->disable();
    startNext();
    return;
  }
  if (waiting_for_pod_ && ready_pod && current_ == nullptr &&
      (state_ == ForwardState::kBackoff || state_ == ForwardState::kStarting)) {
    // The wait was the cluster's doing, not a failure of the forward: do not sit out a backoff
    // that grew while no pod ran.
    const std::string text = absl::StrCat("pod ", event.name, " is ready: starting now");
    note(text);
    spdlog::info("{}: {}", spec_.name, text);
    run();
  }
}

bool Forward::canSwitch() const {
  // A bare pod target has nowhere to switch to; without held ports nothing can choose which
  // kubectl a connection reaches.
  return spec_.holdsPorts() && needsResolution(spec_) && current_ != nullptr && current_->ready() &&
         holder_ != nullptr;
}

void Forward::beginSwitch(const std::string& why) {
  switch_ =
      Switch{.from_pod = current_->pod(), .why = why, .since = context_.dispatcher.systemTime()};
  const std::string text = absl::StrCat("pod ", switch_->from_pod, " ", why,
                                        ": starting kubectl on another pod while it still serves");
  note(text);
  spdlog::info("{}: {}", spec_.name, text);
  startNext();
}

void Forward::startNext() {
  if (!switch_.has_value() || lifecycle_ != Lifecycle::kRunning) {
    return;
  }
  switch_->waiting_for_pod = false;
  next_ = std::make_unique<Tunnel>(spec_, tunnelContext(), target_cache_,
                                   TunnelOptions{.probe_on_phase = false},
                                   static_cast<TunnelObserver&>(*this));
  next_id_ = ++last_id_;
  // May end at once, which clears next_.
  next_->start();
}

void Forward::completeSwitch() {
  TunnelPtr old = std::move(current_);
  const uint64_t old_id = current_id_;
  current_ = std::move(next_);
  current_id_ = next_id_;
  pod_ = current_->pod();
  served_ = current_->resolution();
  pod_not_ready_ = false;  // a switch goes to a Ready pod
  moving_ = false;
  pod_waits_ = 0;
  ready_since_ = context_.dispatcher.monotonicTime();
  holder_->serve(Upstream{.id = current_id_, .ports = current_->upstreamPorts()});
  const uint64_t open = holder_->connectionsOn(old_id);
  std::string text = absl::StrCat("switched from pod ", old->pod(), " to pod ", pod_, " (",
                                  old->pod(), " ", switch_->why, ")");
  if (open > 0 && spec_.drain_timeout.count() > 0) {
    absl::StrAppend(&text, "; ", connectionCount(open), " draining on ", old->pod(), " for up to ",
                    formatDelay(spec_.drain_timeout));
    const event::MonotonicTime until = context_.dispatcher.monotonicTime() + spec_.drain_timeout;
    old->closeChildToOthers();
    draining_.push_back(
        Draining{.tunnel = std::move(old),
                 .id = old_id,
                 .until = until,
                 .until_system = context_.dispatcher.systemTime() + spec_.drain_timeout});
    armDrainTimer();
  } else {
    retire(std::move(old));
  }
  switch_.reset();
  switch_retry_timer_->disable();
  note(text);
  recordEvent(HistoryEvent::Type::kNormal, "PodSwitched", text);
  spdlog::info("{}: {}", spec_.name, text);
  observer_.onSwitched(*this, text);
}

void Forward::onNextEnded(const TunnelEnd& end) {
  TunnelPtr ended = std::move(next_);
  releaseLater(std::move(ended));
  if (!switch_.has_value()) {
    return;
  }
  if (end.cause == TunnelCause::kNoPod) {
    switch_->waiting_for_pod = true;
    note(absl::StrCat("no other Ready pod of ", spec_.target, " yet: pod ", switch_->from_pod,
                      " serves until one is"));
    return;
  }
  // The old pod still serves: try again, backing off so that a pod that keeps failing its probe
  // does not make pfd spin.
  const Milliseconds delay = restartDelay(spec_.backoff, switch_->failures++, context_.random());
  const std::string text =
      absl::StrCat("switching away from pod ", switch_->from_pod, " failed: ", end.reason,
                   "; it still serves; trying again in ", formatDelay(delay));
  note(text);
  spdlog::warn("{}: {}", spec_.name, text);
  switch_retry_timer_->enable(delay);
}

bool Forward::promoteNext() {
  switch_retry_timer_->disable();
  const std::string from = switch_->from_pod;
  switch_.reset();
  if (next_ == nullptr) {
    moving_ = true;
    return false;  // nothing started yet: the usual way out (a fresh look at the pods)
  }
  current_ = std::move(next_);
  current_id_ = next_id_;
  pod_ = current_->pod();
  served_ = current_->resolution();
  pod_not_ready_ = false;  // a switch goes to a Ready pod
  moving_ = true;
  ready_since_.reset();
  setState(ForwardState::kStarting,
           absl::StrCat("pod ", from, " went away before the switch finished; waiting for ",
                        current_->pod().empty() ? "the next pod" : "pod " + current_->pod()));
  return true;
}

void Forward::stopDraining(size_t index, const std::string& why) {
  Draining entry = std::move(draining_[index]);
  draining_.erase(draining_.begin() + static_cast<std::ptrdiff_t>(index));
  const uint64_t open = holder_ != nullptr ? holder_->connectionsOn(entry.id) : 0;
  note(absl::StrCat("stopping kubectl on pod ", entry.tunnel->pod(), ": ", why,
                    open > 0 ? absl::StrCat(" (", connectionCount(open), " still open)") : ""));
  retire(std::move(entry.tunnel));
  armDrainTimer();
}

void Forward::onUpstreamIdle(uint64_t upstream_id) {
  for (size_t i = 0; i < draining_.size(); ++i) {
    if (draining_[i].id == upstream_id) {
      stopDraining(i, "its last connection closed");
      return;
    }
  }
}

void Forward::onDrainTimer() {
  const event::MonotonicTime now = context_.dispatcher.monotonicTime();
  for (size_t i = 0; i < draining_.size();) {
    if (draining_[i].until <= now) {
      stopDraining(i, absl::StrCat("drainTimeout (", formatDelay(spec_.drain_timeout), ")"));
    } else {
      ++i;
    }
  }
  armDrainTimer();
}

void Forward::armDrainTimer() {
  if (draining_.empty()) {
    drain_timer_->disable();
    return;
  }
  event::MonotonicTime first = draining_.front().until;
  for (const Draining& entry : draining_) {
    first = std::min(first, entry.until);
  }
  drain_timer_->enable(std::max(Milliseconds(0), std::chrono::ceil<Milliseconds>(
                                                     first - context_.dispatcher.monotonicTime())));
}

std::optional<Forward::PodSwitch> Forward::podSwitch() const {
  if (!switch_.has_value()) {
    return std::nullopt;
  }
  return PodSwitch{.from_pod = switch_->from_pod,
                   .to_pod = next_ != nullptr ? next_->pod() : "",
                   .since = switch_->since,
                   .reason = absl::StrCat("pod ", switch_->from_pod, " ", switch_->why)};
}

std::vector<Forward::DrainingPod> Forward::draining() const {
  std::vector<DrainingPod> pods;
  for (const Draining& entry : draining_) {
    pods.push_back(
        DrainingPod{.pod = entry.tunnel->pod(),
                    .pid = entry.tunnel->pid(),
                    .connections = holder_ != nullptr ? holder_->connectionsOn(entry.id) : 0,
                    .until = entry.until_system});
  }
  return pods;
}

}  // namespace pfd::core
