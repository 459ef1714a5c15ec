#include "daemon/core/forward.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "daemon/core/child_command.h"
#include "daemon/core/restart_policy.h"
#include "spdlog/spdlog.h"

namespace pfd::core {
namespace {

std::string podOfTarget(const std::string& target) {
  for (absl::string_view prefix : {"pod/", "pods/", "po/"}) {
    if (absl::StartsWith(target, prefix)) {
      return target.substr(prefix.size());
    }
  }
  return target.find('/') == std::string::npos ? target : "";
}

std::string formatDelay(Milliseconds delay) {
  return absl::FormatDuration(absl::Milliseconds(delay.count()));
}

bool retryCannotHelp(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsPermissionDenied(status) ||
         absl::IsInvalidArgument(status) || absl::IsFailedPrecondition(status);
}

}  // namespace

Forward::Forward(ForwardSpec spec, ForwardContext& context, ForwardObserver& observer)
    : spec_(std::move(spec)),
      context_(context),
      observer_(observer),
      state_since_(context.dispatcher.systemTime()),
      state_since_monotonic_(context.dispatcher.monotonicTime()),
      pod_(spec_.isCommand() ? "" : podOfTarget(spec_.target)),
      retry_timer_(context.dispatcher.createTimer([this] { spawnChild(); })),
      start_deadline_timer_(context.dispatcher.createTimer([this] { onStartDeadline(); })),
      port_check_timer_(context.dispatcher.createTimer([this] { checkCommandPorts(); })) {}

Forward::~Forward() = default;

pid_t Forward::pid() const { return child_ ? child_->pid() : 0; }

std::optional<event::SystemTime> Forward::nextRetry() const {
  if (state_ != ForwardState::kBackoff) {
    return std::nullopt;
  }
  return context_.dispatcher.systemTime() + (retry_at_ - context_.dispatcher.monotonicTime());
}

void Forward::activate() {
  if (spec_.enabled) {
    start();
  } else {
    setState(ForwardState::kStopped, "disabled in the config");
  }
}

void Forward::start() {
  if (shutting_down_) {
    return;
  }
  want_running_ = true;
  budget_.reset();
  retry_timer_->disable();
  if (child_ == nullptr) {
    spawnChild();
  } else if (terminating_) {
    after_exit_ = AfterExit::kStartNow;
  }
}

void Forward::stop() {
  if (shutting_down_) {
    return;
  }
  want_running_ = false;
  retry_timer_->disable();
  stopTimersAndProbes();
  pod_watch_.reset();
  if (child_ != nullptr) {
    terminateChild(AfterExit::kStay);
  }
  setState(ForwardState::kStopped, "stopped by the user");
}

void Forward::restart() {
  if (shutting_down_) {
    return;
  }
  want_running_ = true;
  budget_.reset();
  retry_timer_->disable();
  if (child_ != nullptr) {
    note("restart requested: replacing the child");
    terminateChild(AfterExit::kStartNow);
  } else {
    spawnChild();
  }
}

void Forward::replaceSpec(ForwardSpec spec) {
  const bool was_disabled = !spec_.enabled;
  spec_ = std::move(spec);
  pod_ = spec_.isCommand() ? "" : podOfTarget(spec_.target);
  target_cache_.reset();
  pod_watch_.reset();  // the namespace or context may have changed
  if (shutting_down_) {
    return;
  }
  note("the config changed: applying the new spec");
  if (!spec_.enabled) {
    stop();
    setState(ForwardState::kStopped, "disabled in the config");
    return;
  }
  // A forward the user stopped stays stopped; one that was only disabled comes back.
  if (!want_running_ && !was_disabled) {
    return;
  }
  want_running_ = true;
  budget_.reset();
  retry_timer_->disable();
  if (child_ != nullptr) {
    terminateChild(AfterExit::kStartNow);
  } else {
    spawnChild();
  }
}

void Forward::shutdown() {
  shutting_down_ = true;
  want_running_ = false;
  retry_timer_->disable();
  stopTimersAndProbes();
  pod_watch_.reset();
  if (child_ != nullptr) {
    terminateChild(AfterExit::kStay);
  } else {
    observer_.onIdle(*this);
  }
}

void Forward::spawnChild() {
  stopTimersAndProbes();
  waiting_for_pod_ = false;
  forwarding_ports_.clear();
  run_error_.clear();
  pending_reason_.clear();
  killed_for_probe_ = false;
  ready_since_.reset();
  after_exit_ = AfterExit::kBackoff;
  terminating_ = false;

  if (needsResolution(spec_)) {
    if (context_.pod_watches != nullptr && pod_watch_ == nullptr) {
      pod_watch_ = context_.pod_watches->registerForward(
          spec_, [this](const PodEvent& event) { onPodEvent(event); });
    }
    setState(ForwardState::kStarting, absl::StrCat("looking for a pod of ", spec_.target));
    start_deadline_timer_->enable(spec_.start_timeout);
    resolver_ = std::make_unique<TargetResolver>(
        context_.dispatcher, context_.launcher, context_.pod_watches, spec_, target_cache_,
        [this, run = run_](absl::StatusOr<Resolution> resolution) {
          if (run == run_) {
            onResolved(std::move(resolution));
          }
        });
    resolver_->start();
    return;
  }
  if (std::string taken = takenCommandPort(); !taken.empty()) {
    enterBackoff(taken, budget_.afterFailedStart(spec_.backoff, context_.random()));
    return;
  }
  launch(childArgv(spec_));
}

void Forward::onResolved(absl::StatusOr<Resolution> resolution) {
  releaseLater(std::move(resolver_));
  if (!resolution.ok()) {
    start_deadline_timer_->disable();
    waiting_for_pod_ = noPodRunning(resolution.status());
    failStart(resolution.status());
    return;
  }
  pod_ = resolution->pod;
  note(absl::StrCat(spec_.target, " -> pod ", pod_));
  const std::string pod_target = absl::StrCat("pod/", pod_);
  launch(childArgv(spec_, &pod_target, &resolution->ports));
}

void Forward::launch(const std::vector<std::string>& argv) {
  auto child = context_.launcher.spawn(
      process::ProcessSpec{.argv = argv},
      {.on_line = [this](process::OutputStream stream,
                         std::string_view line) { onLine(stream, line); },
       .on_exit = [this](const process::ExitStatus& status) { onExit(status); }});
  if (!child.ok()) {
    start_deadline_timer_->disable();
    failStart(child.status());
    return;
  }
  child_ = std::move(*child);
  // A restart is a new child, as a container's restartCount counts containers: looking for a pod
  // that is not there yet starts nothing.
  if (!first_child_) {
    restarts_++;
  }
  first_child_ = false;
  note(absl::StrCat("started pid ", child_->pid(), ": ", absl::StrJoin(argv, " ")));
  if (state_ == ForwardState::kStarting) {
    // Resolution already announced STARTING; the pid is news for the log only.
    spdlog::info("{}: started pid {} on {}", spec_.name, child_->pid(),
                 pod_.empty() ? spec_.target : "pod/" + pod_);
  }
  setState(ForwardState::kStarting, absl::StrCat("started pid ", child_->pid()));
  if (!start_deadline_timer_->enabled()) {
    start_deadline_timer_->enable(spec_.start_timeout);
  }
  if (spec_.isCommand()) {
    checkCommandPorts();
  }
}

void Forward::onPodEvent(const PodEvent& event) {
  if (event.leaving() && event.name == pod_ && child_ != nullptr && !terminating_ &&
      want_running_) {
    // Move before a client connection fails on the dying pod; no backoff: this is not a failure.
    note(absl::StrCat("pod ", event.name, " is terminating: moving to another pod"));
    spdlog::info("{}: pod {} is terminating: moving to another pod", spec_.name, event.name);
    terminateChild(AfterExit::kStartNow);
    return;
  }
  if (state_ == ForwardState::kBackoff && waiting_for_pod_ && event.running_and_ready &&
      !event.leaving() &&
      (!target_cache_.has_value() || selectorMatches(target_cache_->selector, event.labels))) {
    // The wait was the cluster's doing, not a failure of the forward: do not sit out a backoff
    // that grew while no pod ran.
    note(absl::StrCat("pod ", event.name, " is ready: starting now"));
    spdlog::info("{}: pod {} is ready: starting now", spec_.name, event.name);
    retry_timer_->disable();
    spawnChild();
  }
}

void Forward::failStart(const absl::Status& status) {
  const std::string reason(status.message());
  if (retryCannotHelp(status)) {
    enterFailed(reason);
  } else {
    enterBackoff(reason, budget_.afterFailedStart(spec_.backoff, context_.random()));
  }
}

void Forward::onStartDeadline() {
  const std::string reason =
      absl::StrCat(spec_.isCommand() ? "ports " : "kubectl did not forward ports ",
                   formatPorts(spec_.ports), " within ", formatDelay(spec_.start_timeout),
                   spec_.isCommand() ? " did not accept connections" : "",
                   run_error_.empty() ? "" : absl::StrCat(": ", run_error_));
  if (child_ != nullptr) {
    failChild(reason);
    return;
  }
  if (resolver_ != nullptr) {
    stopTimersAndProbes();
    enterBackoff(absl::StrCat("no answer from the API server while looking for a pod of ",
                              spec_.target, " within ", formatDelay(spec_.start_timeout)),
                 budget_.afterFailedStart(spec_.backoff, context_.random()));
  }
}

void Forward::onExit(const process::ExitStatus& status) {
  // The child is inside its own callback: it is released on the next turn of the loop.
  releaseLater(std::move(child_));
  stopTimersAndProbes();
  terminating_ = false;
  note(exitReason(status));
  if (shutting_down_) {
    observer_.onIdle(*this);
    return;
  }
  switch (after_exit_) {
    case AfterExit::kStay:
      return;
    case AfterExit::kStartNow:
      spawnChild();
      return;
    case AfterExit::kBackoff:
      break;
  }
  if (!status.exec_error.empty()) {
    enterFailed(absl::StrCat(status.exec_error,
                             " (an executable file that is not a program, or a script whose #! "
                             "interpreter is missing)"));
    return;
  }
  std::string reason = !pending_reason_.empty() ? pending_reason_
                       : !run_error_.empty()    ? run_error_
                                                : exitReason(status);
  std::optional<Milliseconds> ready_for;
  if (ready_since_.has_value()) {
    ready_for = std::chrono::duration_cast<Milliseconds>(context_.dispatcher.monotonicTime() -
                                                         *ready_since_);
  }
  // A failed probe already took failureThreshold periods to show; an immediate retry is for
  // forwards moved under their feet, not for an app that stopped answering.
  const bool may_retry_at_once = state_ != ForwardState::kUnhealthy;
  enterBackoff(reason,
               budget_.afterRun(spec_.backoff, ready_for, may_retry_at_once, context_.random()));
}

void Forward::failChild(const std::string& reason) {
  if (child_ == nullptr || terminating_) {
    return;
  }
  pending_reason_ = reason;
  recordError(reason);
  note(absl::StrCat("killing the child: ", reason));
  terminateChild(AfterExit::kBackoff);
}

void Forward::terminateChild(AfterExit after) {
  after_exit_ = after;
  if (!terminating_) {
    terminating_ = true;
    start_deadline_timer_->disable();
    child_->terminate(context_.stop_grace);
  }
}

void Forward::enterBackoff(const std::string& reason, Milliseconds delay) {
  recordError(reason);
  retry_at_ = context_.dispatcher.monotonicTime() + delay;
  retry_timer_->enable(delay);
  setState(ForwardState::kBackoff,
           delay == Milliseconds(0) ? absl::StrCat(reason, "; it was healthy, so retrying at once")
                                    : absl::StrCat(reason, "; retrying in ", formatDelay(delay)));
}

void Forward::enterFailed(const std::string& reason) {
  recordError(reason);
  setState(ForwardState::kFailed,
           absl::StrCat(reason, "; fix it, then `pfctl restart ", spec_.name, "` or reload"));
}

void Forward::setState(ForwardState state, const std::string& reason) {
  const ForwardState previous = state_;
  if (previous == state) {
    return;
  }
  state_ = state;
  state_since_ = context_.dispatcher.systemTime();
  state_since_monotonic_ = context_.dispatcher.monotonicTime();
  // UNHEALTHY is the way out of READY when a probe fails: the backoff after it still counts how
  // long the forward was ready.
  if (state != ForwardState::kReady && state != ForwardState::kUnhealthy) {
    ready_since_.reset();
  }
  const std::string text =
      absl::StrCat(forwardStateName(previous), " -> ", forwardStateName(state), ": ", reason);
  note(text);
  switch (state) {
    case ForwardState::kBackoff:
    case ForwardState::kFailed:
    case ForwardState::kUnhealthy:
      spdlog::warn("{}: {}", spec_.name, text);
      break;
    default:
      spdlog::info("{}: {}", spec_.name, text);
  }
  observer_.onStateChanged(*this, previous, reason);
}

void Forward::recordError(const std::string& reason) {
  last_error_ = reason;
  last_error_time_ = context_.dispatcher.systemTime();
}

void Forward::note(const std::string& text) {
  LogLine line{
      .time = context_.dispatcher.systemTime(), .source = LogLine::Source::kPfd, .text = text};
  logs_.append(line);
  observer_.onLogLine(*this, line);
}

void Forward::stopTimersAndProbes() {
  // Whatever is released below may still call back before it is destroyed; those calls carry an
  // older run number and are ignored.
  run_++;
  start_deadline_timer_->disable();
  port_check_timer_->disable();
  for (auto& check : port_checks_) {
    releaseLater(std::move(check));
  }
  port_checks_.clear();
  if (probe_session_ != nullptr) {
    releaseLater(std::move(probe_session_));
  }
  if (resolver_ != nullptr) {
    resolver_->cancel();
    releaseLater(std::move(resolver_));
  }
}

// Whatever is released here may be the object whose callback is running right now; destroying it
// on the next turn of the loop keeps its stack frame valid.
void Forward::releaseLater(std::unique_ptr<ProbeSession> session) {
  context_.dispatcher.post([released = std::move(session)] {});
}

void Forward::releaseLater(process::ProcessPtr child) {
  context_.dispatcher.post([released = std::move(child)] {});
}

void Forward::releaseLater(probe::ProbeHandlePtr handle) {
  context_.dispatcher.post([released = std::move(handle)] {});
}

void Forward::releaseLater(std::unique_ptr<TargetResolver> resolver) {
  context_.dispatcher.post([released = std::move(resolver)] {});
}

std::string Forward::exitReason(const process::ExitStatus& status) const {
  const std::string program = spec_.isCommand() ? spec_.command.front() : spec_.kubectl;
  if (status.term_signal != 0) {
    return absl::StrCat(program, " was killed by signal ", status.term_signal);
  }
  if (status.exit_code == 0) {
    return absl::StrCat(program, " exited with code 0 (a forward is not supposed to end)");
  }
  return absl::StrCat(program, " exited with code ", status.exit_code);
}

}  // namespace pfd::core
