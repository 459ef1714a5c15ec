// How a forward runs: starting a tunnel (after binding the held ports, or once the old kubectl
// freed them), what its tunnels report, and what it decides when one ends. User requests and the
// state bookkeeping are in forward.cc, pod switches in forward_switch.cc.
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/core/child_command.h"
#include "daemon/core/forward.h"
#include "daemon/core/wording.h"
#include "spdlog/spdlog.h"

namespace pfd::core {
namespace {

bool podLive(const std::vector<PodInfo>& pods, const std::string& name) {
  for (const PodInfo& pod : pods) {
    if (pod.name == name) {
      return !pod.terminating && pod.phase == "Running" && pod.ready;
    }
  }
  return false;
}

}  // namespace

void Forward::run(bool fresh_listing) {
  if (lifecycle_ != Lifecycle::kRunning) {
    return;
  }
  retry_timer_->disable();
  paced_start_.reset();
  cluster_wait_.reset();
  waiting_for_pod_ = false;
  if (spec_.holdsPorts()) {
    if (!holdPorts()) {
      return;
    }
    if (holder_ != nullptr && state_ == ForwardState::kFailed) {
      holder_->hold();  // connections may wait again: this run may serve them
    }
    if (!wanted()) {
      enterIdle(state_ == ForwardState::kIdle || state_ == ForwardState::kStopped
                    ? "start: onDemand; kubectl starts with the first connection"
                    : "no connection is waiting: kubectl starts with the next one");
      return;
    }
  } else if (!retiring_.empty()) {
    start_when_ports_free_ = true;  // the old child still holds the local ports
    return;
  }
  if (spec_.isCommand() && context_.find_port_owner) {
    checkCommandPortFree(0);
    return;
  }
  if (cluster_ != nullptr && !(*cluster_)->up()) {
    waitForCluster((*cluster_)->reason(), /*suspect=*/false, nullptr);
    return;
  }
  if (context_.pacer == nullptr) {
    startTunnel(fresh_listing);
    return;
  }
  // Starting may end at once and call run() again, which may leave a ticket of its own.
  PacedStartPtr ticket =
      context_.pacer->schedule([this, fresh_listing] { startTunnel(fresh_listing); });
  if (ticket != nullptr) {
    paced_start_ = std::move(ticket);
  }
}

void Forward::startTunnel(bool fresh_listing) {
  if (needsResolution(spec_) && context_.pod_watches != nullptr && pod_watch_ == nullptr) {
    pod_watch_ = context_.pod_watches->registerForward(
        spec_, [this](const PodEvent& event) { onPodEvent(event); });
  }
  std::optional<Resolution> presumed;
  if (std::exchange(presume_served_pod_, false) && served_.has_value() && !fresh_listing &&
      !podsKnownByWatch()) {
    presumed = served_;
  }
  current_ = std::make_unique<Tunnel>(spec_, tunnelContext(), target_cache_,
                                      TunnelOptions{.probe_on_phase = children_started_ == 0,
                                                    .fresh_listing = fresh_listing,
                                                    .presumed = std::move(presumed)},
                                      static_cast<TunnelObserver&>(*this));
  current_id_ = ++last_id_;
  if (needsResolution(spec_)) {
    setState(ForwardState::kStarting, absl::StrCat("looking for a pod of ", spec_.target));
  }
  // May end at once (a program that cannot be spawned), releasing current_.
  current_->start();
}

bool Forward::holdPorts() {
  if (holder_ == nullptr) {
    holder_ = std::make_unique<PortHolder>(
        context_.dispatcher, *context_.relay,
        PortHolder::Callbacks{
            .note = [this](const std::string& text) { note(text); },
            .on_dropped =
                [this](const std::string& text) {
                  recordEvent(HistoryEvent::Type::kWarning, "ConnectionsDropped", text);
                },
            .on_waiting = [this] { onConnectionWaiting(); },
            .on_upstream_idle = [this](uint64_t upstream_id) { onUpstreamIdle(upstream_id); }},
        &taps_);
  }
  if (holder_->boundFor(spec_)) {
    return true;
  }
  std::optional<PortHolder::BindFailure> failure = holder_->bind(spec_);
  if (!failure.has_value()) {
    return true;
  }
  // The listeners already bound keep their connections waiting while this one is retried.
  const std::string message(failure->status.message());
  if (absl::IsAlreadyExists(failure->status)) {
    askPortOwner(failure->address, failure->port, [this](const std::string& in_use) {
      enterBackoff(in_use, budget_.afterFailedStart(spec_.backoff, context_.random()));
    });
  } else if (absl::IsPermissionDenied(failure->status)) {
    enterFailed(message);
  } else {
    enterBackoff(message, budget_.afterFailedStart(spec_.backoff, context_.random()));
  }
  return false;
}

void Forward::checkCommandPortFree(size_t index) {
  if (index == spec_.ports.size()) {
    startTunnel(false);
    return;
  }
  // The command's readiness is a connection to its ports, which would reach whoever already
  // holds them: it is not started while one is taken.
  const uint16_t port = spec_.ports[index].local;
  owner_query_ =
      context_.find_port_owner(spec_.address, port, [this, index, port](const std::string& owner) {
        if (owner.empty()) {
          checkCommandPortFree(index + 1);
          return;
        }
        enterBackoff(absl::StrCat("local port ", port, " is already in use by ", owner),
                     budget_.afterFailedStart(spec_.backoff, context_.random()));
      });
}

void Forward::askPortOwner(const std::string& address, uint16_t port,
                           std::function<void(const std::string& in_use)> done) {
  const std::string in_use = absl::StrCat("local port ", port, " is already in use");
  if (!context_.find_port_owner) {
    done(in_use);
    return;
  }
  owner_query_ = context_.find_port_owner(
      address, port, [in_use, done = std::move(done)](const std::string& owner) {
        done(owner.empty() ? in_use : absl::StrCat(in_use, " by ", owner));
      });
}

void Forward::retireCurrent() {
  if (current_ == nullptr) {
    return;
  }
  ready_since_.reset();
  if (holder_ != nullptr) {
    holder_->hold();
  }
  retire(std::move(current_));
}

void Forward::retire(TunnelPtr tunnel) {
  if (tunnel == nullptr) {
    return;
  }
  Tunnel* raw = tunnel.get();
  retiring_.push_back(std::move(tunnel));
  raw->stop();  // may report its end from inside, which takes it out of retiring_
}

void Forward::retireAll() {
  switch_.reset();
  switch_retry_timer_->disable();
  retire(std::move(next_));
  std::vector<Draining> draining = std::move(draining_);
  draining_.clear();
  drain_timer_->disable();
  for (Draining& entry : draining) {
    retire(std::move(entry.tunnel));
  }
  retireCurrent();
}

void Forward::retireAllButDrain() {
  const bool drain = holder_ != nullptr && spec_.holdsPorts() && current_ != nullptr &&
                     current_->ready() && spec_.drain_timeout.count() > 0 &&
                     holder_->connectionsOn(current_id_) > 0;
  if (!drain) {
    retireAll();
    return;
  }
  switch_.reset();
  switch_retry_timer_->disable();
  retire(std::move(next_));
  ready_since_.reset();
  holder_->hold();
  const uint64_t open = holder_->connectionsOn(current_id_);
  note(absl::StrCat(connectionCount(open), " draining on the replaced kubectl (pod ",
                    current_->pod(), ") for up to ", formatDelay(spec_.drain_timeout)));
  const event::MonotonicTime now = context_.dispatcher.monotonicTime();
  current_->closeChildToOthers();
  draining_.push_back(
      Draining{.tunnel = std::move(current_),
               .id = current_id_,
               .until = now + spec_.drain_timeout,
               .until_system = context_.dispatcher.systemTime() + spec_.drain_timeout});
  armDrainTimer();
}

void Forward::onTunnelResolved(Tunnel& tunnel, const Resolution& resolution) {
  if (&tunnel == next_.get()) {
    if (resolution.pod == switch_->from_pod || !podLive(resolution.pods, resolution.pod)) {
      const std::string text = absl::StrCat("no other Ready pod of ", spec_.target, " yet: pod ",
                                            switch_->from_pod, " serves until one is");
      note(text);
      spdlog::info("{}: {}", spec_.name, text);
      switch_->waiting_for_pod = true;
      retire(std::move(next_));
    }
    return;
  }
  if (&tunnel != current_.get()) {
    return;
  }
  pod_ = resolution.pod;
  pod_not_ready_ = false;
  for (const PodInfo& pod : resolution.pods) {
    if (pod.name == resolution.pod && !pod.ready) {
      // choosePod's last resort: no pod of the target is Ready, and one that runs may answer.
      pod_not_ready_ = true;
      const std::string text = absl::StrCat("pod ", pod_, " is not Ready; forwarding anyway");
      note(text);
      spdlog::info("{}: {}", spec_.name, text);
    }
  }
  if (!pod_check_.has_value()) {
    return;
  }
  PodCheck check = std::move(*pod_check_);
  pod_check_.reset();
  if (!podLive(resolution.pods, check.pod)) {
    // Replaced under our feet (a rollout, a deletion): not a failure, so no backoff, however
    // short the last run was and however often it happens.
    moving_ = true;
    const std::string text =
        absl::StrCat("pod ", check.pod, " is gone: moving to pod ", resolution.pod);
    note(text);
    recordEvent(HistoryEvent::Type::kNormal, "PodMoved", text);
    spdlog::info("{}: {}", spec_.name, text);
    return;
  }
  const Milliseconds delay = budget_.afterRun(spec_.backoff, check.ready_for,
                                              /*may_retry_at_once=*/true, context_.random());
  if (delay.count() == 0) {
    note(absl::StrCat("pod ", check.pod, " is still there; it was healthy, so retrying at once"));
    return;
  }
  retireCurrent();
  enterBackoff(check.reason, delay);
}

void Forward::onTunnelSpawned(Tunnel& tunnel) {
  if (&tunnel == next_.get() && switch_.has_value()) {
    spdlog::info("{}: started pid {} on pod/{} (switching from pod {})", spec_.name, tunnel.pid(),
                 tunnel.pod(), switch_->from_pod);
    return;
  }
  if (&tunnel != current_.get()) {
    return;
  }
  // A restart is a new child, as a container's restartCount counts containers: looking for a pod
  // that is not there yet starts nothing.
  children_started_++;
  if (state_ == ForwardState::kStarting) {
    // Resolution already announced STARTING; the pid is news for the log only.
    spdlog::info("{}: started pid {} on {}", spec_.name, tunnel.pid(),
                 pod_.empty() ? spec_.target : "pod/" + pod_);
  }
  setState(ForwardState::kStarting, absl::StrCat("started pid ", tunnel.pid()));
}

void Forward::onTunnelReady(Tunnel& tunnel) {
  if (&tunnel == next_.get()) {
    completeSwitch();
    return;
  }
  if (&tunnel != current_.get()) {
    return;
  }
  ready_since_ = context_.dispatcher.monotonicTime();
  moving_ = false;
  pod_waits_ = 0;
  served_ = tunnel.resolution();
  if (!tunnel.pod().empty()) {
    pod_ = tunnel.pod();
  }
  if (holder_ != nullptr && spec_.holdsPorts()) {
    holder_->serve(Upstream{.id = current_id_, .ports = tunnel.upstreamPorts()});
  }
  setState(ForwardState::kReady, absl::StrCat("forwarding ", formatPorts(spec_.ports)));
}

void Forward::onTunnelBroken(Tunnel& tunnel, TunnelCause cause, const std::string& reason) {
  if (&tunnel != current_.get()) {
    return;
  }
  // New connections wait for the next run instead of reaching a kubectl on its way out.
  if (holder_ != nullptr) {
    holder_->hold();
  }
  recordError(reason);
  if (cause == TunnelCause::kUnhealthy) {
    setState(ForwardState::kUnhealthy, reason);
  }
}

void Forward::onTunnelEnded(Tunnel& tunnel, const TunnelEnd& end) {
  if (&tunnel == next_.get()) {
    onNextEnded(end);
    return;
  }
  for (auto it = draining_.begin(); it != draining_.end(); ++it) {
    if (it->tunnel.get() == &tunnel) {
      releaseLater(std::move(it->tunnel));
      draining_.erase(it);
      armDrainTimer();
      maybeIdle();
      return;
    }
  }
  if (&tunnel != current_.get()) {
    for (auto it = retiring_.begin(); it != retiring_.end(); ++it) {
      if (it->get() == &tunnel) {
        releaseLater(std::move(*it));
        retiring_.erase(it);
        break;
      }
    }
    if (start_when_ports_free_ && retiring_.empty()) {
      start_when_ports_free_ = false;
      run();
    }
    maybeIdle();
    return;
  }
  TunnelPtr ended = std::move(current_);
  if (holder_ != nullptr) {
    holder_->hold();
  }
  if (switch_.has_value() && promoteNext()) {
    releaseLater(std::move(ended));
    return;
  }
  afterRun(*ended, end);
  releaseLater(std::move(ended));
  maybeIdle();
}

void Forward::afterRun(const Tunnel& tunnel, const TunnelEnd& end) {
  const std::optional<Milliseconds> ready_for = readyFor();
  ready_since_.reset();
  // A fresh look at the pods that ended before it resolved (the API server did not answer)
  // settles nothing about the pod it looked for: its own end decides.
  const bool was_pod_check = pod_check_.has_value();
  pod_check_.reset();
  if (lifecycle_ != Lifecycle::kRunning) {
    return;
  }
  const bool cluster_fine = cluster_ == nullptr || (!end.cluster_level && (*cluster_)->up());
  if (tunnel.presumed() && !ready_for.has_value() && cluster_fine) {
    // The pod it served before the outage did not serve again (most likely it was replaced
    // meanwhile): not a failure of the forward, so no backoff; look for the pod now.
    served_.reset();
    const std::string text = absl::StrCat("pod ", tunnel.pod(),
                                          " (served before the API server went away) did not "
                                          "serve: ",
                                          end.reason, "; looking for a pod of ", spec_.target);
    note(text);
    spdlog::info("{}: {}", spec_.name, text);
    run();
    return;
  }
  if (!end.retry_can_help) {
    enterFailed(end.reason);
    return;
  }
  if (end.port_in_use) {
    const Milliseconds delay = budget_.afterRun(spec_.backoff, ready_for, true, context_.random());
    askPortOwner(spec_.address, end.port,
                 [this, delay](const std::string& in_use) { enterBackoff(in_use, delay); });
    return;
  }
  if (cluster_ != nullptr && (end.cluster_level || !(*cluster_)->up())) {
    // One check of the API server for every forward of the cluster, instead of a backoff loop
    // each; the delay applies only if the cluster turns out fine.
    const Milliseconds own_delay =
        ready_for.has_value() ? budget_.afterRun(spec_.backoff, ready_for, true, context_.random())
                              : budget_.afterFailedStart(spec_.backoff, context_.random());
    recordError(end.reason);
    waitForCluster(end.reason, end.cluster_level,
                   [this, reason = end.reason, own_delay] { enterBackoff(reason, own_delay); });
    return;
  }
  if (end.cause == TunnelCause::kNoPod) {
    waiting_for_pod_ = true;
    if (moving_ || was_pod_check) {
      // Its pod went away and no other is Ready yet (a one-replica rollout, a deletion): the
      // cluster's doing, not a failure, so no backoff. It waits, holding connections; a Ready pod
      // (the pod watch) starts it, and a slow re-check covers a watch that missed it.
      moving_ = true;
      const Milliseconds recheck = restartDelay(spec_.backoff, pod_waits_++, context_.random());
      retry_timer_->enable(recheck);
      const std::string text = absl::StrCat(end.reason, "; waiting for a Ready pod");
      note(text);
      spdlog::info("{}: {}", spec_.name, text);
      setState(ForwardState::kStarting, text);
      return;
    }
    enterBackoff(end.reason, budget_.afterFailedStart(spec_.backoff, context_.random()));
    return;
  }
  const bool lost_its_pod =
      (end.cause == TunnelCause::kBroken || end.cause == TunnelCause::kExited) &&
      needsResolution(spec_) && !tunnel.pod().empty();
  if (lost_its_pod) {
    recordError(end.reason);
    if (podLeavingByWatch(tunnel.pod())) {
      // The pod watch already says it is going: move on, from the watch's pods, no backoff.
      moving_ = true;
      note(absl::StrCat(end.reason, "; pod ", tunnel.pod(), " is going away: moving on"));
      run();
      return;
    }
    // Whether this counts as a failure depends on whether the pod is still there: look again,
    // past the watch's cache, and decide when the answer comes (onTunnelResolved), unless the
    // pod watch says first that the pod is going (onPodEvent).
    PodCheck check{.pod = tunnel.pod(), .ready_for = ready_for, .reason = end.reason};
    auto look_at_the_pod = [this, check] {
      pod_check_ = check;
      note(absl::StrCat(check.reason, "; checking whether pod ", check.pod, " is still there"));
      run(/*fresh_listing=*/true);
    };
    if (cluster_ != nullptr) {
      // A lost session is also what every forward sees when the API server goes: one cheap
      // check of the cluster first, instead of a `kubectl get pods` per forward.
      waitForCluster(end.reason, /*suspect=*/true, std::move(look_at_the_pod));
      return;
    }
    look_at_the_pod();
    return;
  }
  // A failed probe already took failureThreshold periods to show; an immediate retry is for
  // forwards moved under their feet, not for an app that stopped answering.
  const bool may_retry_at_once = end.cause != TunnelCause::kUnhealthy;
  enterBackoff(end.reason,
               budget_.afterRun(spec_.backoff, ready_for, may_retry_at_once, context_.random()));
}

bool Forward::podsKnownByWatch() const {
  return context_.pod_watches != nullptr && target_cache_.has_value() &&
         context_.pod_watches->knownPods(spec_, target_cache_->selector).has_value();
}

bool Forward::podLeavingByWatch(const std::string& pod) const {
  if (context_.pod_watches == nullptr || !target_cache_.has_value()) {
    return false;
  }
  auto pods = context_.pod_watches->knownPods(spec_, target_cache_->selector);
  return pods.has_value() && !podLive(*pods, pod);
}

std::optional<Milliseconds> Forward::readyFor() const {
  if (!ready_since_.has_value()) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<Milliseconds>(context_.dispatcher.monotonicTime() -
                                                  *ready_since_);
}

void Forward::onTunnelOutput(Tunnel& /*tunnel*/, const LogLine& line) {
  logs_.append(line);
  observer_.onLogLine(*this, line);
  spdlog::debug("{}| {}", spec_.name, line.text);
}

void Forward::onTunnelConnectionLine(Tunnel& /*tunnel*/, std::string_view line) {
  kubectl_connections_++;
  // Still in pfd's own debug log, as every output line is: tests and users tracing a connection
  // see it reach kubectl.
  spdlog::debug("{}| {}", spec_.name, line);
}

void Forward::onTunnelNote(Tunnel& /*tunnel*/, const std::string& text) { note(text); }

void Forward::onTunnelProbe(Tunnel& tunnel, const ProbeStatus& status, bool changed) {
  if (&tunnel != current_.get()) {
    return;
  }
  // An event only when the result flips for the forward, across its runs: a new run's first pass
  // after a passing one is no news, a first failure is.
  const bool flipped = probe_status_.has_value()
                           ? probe_status_->result.success != status.result.success
                           : !status.result.success;
  probe_status_ = status;
  probe_history_.push_back(status);
  if (probe_history_.size() > kProbeHistory) {
    probe_history_.pop_front();
  }
  if (!changed) {
    return;
  }
  const std::string text = absl::StrCat(
      "readiness probe ", status.result.success ? "passed" : "failed", ": ", status.result.message);
  note(text);
  if (flipped) {
    recordEvent(status.result.success ? HistoryEvent::Type::kNormal : HistoryEvent::Type::kWarning,
                status.result.success ? "ProbePassed" : "ProbeFailed", text);
  }
  observer_.onProbeChanged(*this, text);
  if (status.result.success) {
    spdlog::info("{}: {}", spec_.name, text);
  } else {
    spdlog::warn("{}: {}", spec_.name, text);
  }
}

}  // namespace pfd::core
