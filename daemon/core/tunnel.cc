#include "daemon/core/tunnel.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "daemon/core/child_command.h"
#include "daemon/core/kubectl_output.h"
#include "daemon/core/wording.h"

namespace pfd::core {
namespace {

bool retryCannotHelp(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsPermissionDenied(status) ||
         absl::IsInvalidArgument(status) || absl::IsFailedPrecondition(status);
}

}  // namespace

Tunnel::Tunnel(ForwardSpec spec, TunnelContext context, std::optional<TargetObject>& target_cache,
               TunnelOptions options, TunnelObserver& observer)
    : spec_(std::move(spec)),
      context_(context),
      target_cache_(target_cache),
      options_(options),
      observer_(observer),
      pod_(spec_.isCommand() ? "" : podOfTarget(spec_.target)),
      start_deadline_(context_.dispatcher.createTimer([this] { onStartDeadline(); })),
      port_check_timer_(context_.dispatcher.createTimer([this] { checkCommandPorts(); })),
      upstream_ports_(spec_.ports.size(), 0) {}

// Whatever it still runs goes with it: the child is killed by its Process's destructor, the
// resolver's kubectl by the resolver's, probes and timers are cancelled.
Tunnel::~Tunnel() = default;

pid_t Tunnel::pid() const { return child_ != nullptr ? child_->pid() : 0; }

uint16_t Tunnel::upstreamPort(size_t index) const {
  return index < upstream_ports_.size() ? upstream_ports_[index] : 0;
}

void Tunnel::start() {
  start_deadline_->enable(spec_.start_timeout);
  if (!needsResolution(spec_)) {
    launch(childArgv(spec_));
    return;
  }
  phase_ = Phase::kResolving;
  if (options_.presumed.has_value()) {
    onResolved(*options_.presumed);
    return;
  }
  resolver_ = std::make_unique<TargetResolver>(
      context_.dispatcher, context_.launcher,
      options_.fresh_listing ? nullptr : context_.pod_watches, spec_, target_cache_,
      [this](absl::StatusOr<Resolution> resolution) { onResolved(std::move(resolution)); });
  resolver_->shareTargetLookups(context_.shared_kubectls);
  resolver_->start();
}

void Tunnel::onResolved(absl::StatusOr<Resolution> resolution) {
  // The resolver is inside its own callback: release it on the next turn.
  context_.dispatcher.post([released = std::move(resolver_)] {});
  if (!resolution.ok()) {
    const bool no_pod = noPodRunning(resolution.status());
    const std::string reason(resolution.status().message());
    endWithoutChild(TunnelEnd{.cause = no_pod ? TunnelCause::kNoPod : TunnelCause::kStartFailed,
                              .reason = reason,
                              .retry_can_help = !retryCannotHelp(resolution.status()),
                              .cluster_level = !no_pod && isClusterLevelReason(reason)});
    return;
  }
  pod_ = resolution->pod;
  resolution_ = *resolution;
  if (!resolution->pods.empty()) {
    pod_reason_ = choiceReason(resolution->pods, pod_, spec_.target);
  }
  note(absl::StrCat(spec_.target, " -> pod ", pod_,
                    presumed() ? " (the pod it served before the API server went away)" : ""));
  observer_.onTunnelResolved(*this, *resolution);
  if (phase_ != Phase::kResolving) {
    return;  // the observer stopped it
  }
  const std::string pod_target = absl::StrCat("pod/", pod_);
  launch(childArgv(spec_, &pod_target, &resolution->ports));
}

void Tunnel::launch(const std::vector<std::string>& argv) {
  process::ProcessCallbacks callbacks{
      .on_line = [this](process::OutputStream stream,
                        std::string_view line) { onLine(stream, line); },
      .on_exit = [this](const process::ExitStatus& status) { onExit(status); }};
  absl::StatusOr<process::ProcessPtr> child;
  // Only held ports make the command the same for every forward of a pod: kubectl listens on
  // ephemeral ports, not on the forward's own.
  if (context_.shared_kubectls != nullptr && spec_.holdsPorts()) {
    auto member =
        context_.shared_kubectls->join(process::ProcessSpec{.argv = argv}, std::move(callbacks));
    if (member.ok()) {
      member_ = member->get();
      child = process::ProcessPtr(std::move(*member));
    } else {
      child = member.status();
    }
  } else {
    child = context_.launcher.spawn(process::ProcessSpec{.argv = argv}, std::move(callbacks));
  }
  if (!child.ok()) {
    endWithoutChild(TunnelEnd{.cause = TunnelCause::kStartFailed,
                              .reason = std::string(child.status().message()),
                              .retry_can_help = !retryCannotHelp(child.status())});
    return;
  }
  child_ = std::move(*child);
  argv_ = argv;
  phase_ = Phase::kStarting;
  if (member_ != nullptr && member_->joined()) {
    note(absl::StrCat("joined pid ", child_->pid(), ", the kubectl of the same pod and ports of ",
                      member_->others(), " other forward", member_->others() == 1 ? "" : "s", ": ",
                      absl::StrJoin(argv, " ")));
  } else {
    note(absl::StrCat("started pid ", child_->pid(), ": ", absl::StrJoin(argv, " ")));
  }
  observer_.onTunnelSpawned(*this);
  if (spec_.isCommand() && phase_ == Phase::kStarting) {
    checkCommandPorts();
  }
}

void Tunnel::onStartDeadline() {
  if (phase_ == Phase::kResolving) {
    endWithoutChild(TunnelEnd{
        .cause = TunnelCause::kStartDeadline,
        .reason = absl::StrCat("no answer from the API server while looking for a pod of ",
                               spec_.target, " within ", formatDelay(spec_.start_timeout)),
        .cluster_level = true});
    return;
  }
  breakDown(TunnelCause::kStartDeadline,
            absl::StrCat(spec_.isCommand() ? "ports " : "kubectl did not forward ports ",
                         formatPorts(spec_.ports), " within ", formatDelay(spec_.start_timeout),
                         spec_.isCommand() ? " did not accept connections" : "",
                         run_error_.empty() ? "" : absl::StrCat(": ", run_error_)));
  // kubectl forwards a port as soon as the API server upgraded its connection, whatever the app
  // does: none forwarding and nothing else wrong points at the API server.
  if (ending_.has_value() && !spec_.isCommand() && forwarding_.empty() &&
      (run_error_.empty() || isClusterLevelReason(run_error_))) {
    ending_->cluster_level = true;
  }
}

void Tunnel::stop() {
  if (phase_ == Phase::kEnded) {
    return;
  }
  const bool no_child = child_ == nullptr;
  if (!ending_.has_value()) {
    ending_ = TunnelEnd{.cause = TunnelCause::kStopped, .reason = "stopped"};
  }
  cancelWork();
  if (no_child) {
    endWithoutChild(*ending_);
    return;
  }
  phase_ = Phase::kBroken;
  if (!terminating_) {
    terminating_ = true;
    child_->terminate(context_.stop_grace);
  }
}

void Tunnel::breakDown(TunnelCause cause, const std::string& reason) {
  if (phase_ == Phase::kBroken || phase_ == Phase::kEnded) {
    return;
  }
  phase_ = Phase::kBroken;
  ending_ = TunnelEnd{.cause = cause, .reason = reason};
  note(absl::StrCat("killing the child: ", reason));
  cancelWork();
  if (child_ != nullptr && !terminating_) {
    terminating_ = true;
    child_->terminate(context_.stop_grace);
  }
  observer_.onTunnelBroken(*this, cause, reason);
}

void Tunnel::endWithoutChild(TunnelEnd end) {
  phase_ = Phase::kEnded;
  cancelWork();
  // Last: the observer may release this tunnel (on the next turn) from inside the call.
  observer_.onTunnelEnded(*this, end);
}

void Tunnel::closeChildToOthers() {
  if (member_ != nullptr) {
    member_->closeToOthers();
  }
}

void Tunnel::onExit(const process::ExitStatus& status) {
  // The child is inside its own callback: it is released on the next turn of the loop.
  const bool left = member_ != nullptr && member_->left();
  const pid_t pid = child_->pid();
  member_ = nullptr;
  context_.dispatcher.post([released = std::move(child_)] {});
  cancelWork();
  note(left ? absl::StrCat("left pid ", pid, ", which goes on for the other forwards of its pod")
            : exitReason(status));
  const bool was_broken = phase_ == Phase::kBroken;
  phase_ = Phase::kEnded;
  TunnelEnd end;
  if (ending_.has_value()) {
    end = *ending_;
  } else if (!status.exec_error.empty()) {
    end = TunnelEnd{.cause = TunnelCause::kStartFailed,
                    .reason = absl::StrCat(status.exec_error,
                                           " (an executable file that is not a program, or a "
                                           "script whose #! interpreter is missing)"),
                    .retry_can_help = false};
  } else {
    end = TunnelEnd{.cause = TunnelCause::kExited,
                    .reason = run_error_.empty() ? exitReason(status) : run_error_,
                    .cluster_level = !spec_.isCommand() && isClusterLevelReason(run_error_)};
  }
  if (!was_broken && end.cause == TunnelCause::kExited) {
    observer_.onTunnelBroken(*this, end.cause, end.reason);
  }
  observer_.onTunnelEnded(*this, end);
}

void Tunnel::cancelWork() {
  start_deadline_->disable();
  port_check_timer_->disable();
  if (resolver_ != nullptr) {
    resolver_->cancel();
    context_.dispatcher.post([released = std::move(resolver_)] {});
  }
  // Probes may be calling us right now: their objects go on the next turn.
  for (auto& check : port_checks_) {
    context_.dispatcher.post([released = std::move(check)] {});
  }
  port_checks_.clear();
  if (probe_session_ != nullptr) {
    context_.dispatcher.post([released = std::move(probe_session_)] {});
  }
}

std::string Tunnel::exitReason(const process::ExitStatus& status) const {
  const std::string program = spec_.isCommand() ? spec_.command.front() : spec_.kubectl;
  if (status.term_signal != 0) {
    return absl::StrCat(program, " was killed by signal ", status.term_signal);
  }
  if (status.exit_code == 0) {
    return absl::StrCat(program, " exited with code 0 (a forward is not supposed to end)");
  }
  return absl::StrCat(program, " exited with code ", status.exit_code);
}

void Tunnel::note(const std::string& text) { observer_.onTunnelNote(*this, text); }

}  // namespace pfd::core
