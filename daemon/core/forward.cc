#include "daemon/core/forward.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "daemon/core/child_command.h"
#include "daemon/core/wording.h"
#include "spdlog/spdlog.h"

namespace pfd::core {
namespace {

// The REASON column of pfctl describe's events, in Kubernetes' CamelCase.
std::string eventReason(ForwardState state) {
  switch (state) {
    case ForwardState::kStarting:
      return "Starting";
    case ForwardState::kReady:
      return "Ready";
    case ForwardState::kUnhealthy:
      return "Unhealthy";
    case ForwardState::kBackoff:
      return "BackOff";
    case ForwardState::kStopped:
      return "Stopped";
    case ForwardState::kFailed:
      return "Failed";
    case ForwardState::kIdle:
      return "Idle";
  }
  return "Changed";
}

}  // namespace

Forward::Forward(ForwardSpec spec, ForwardContext& context, ForwardObserver& observer)
    : spec_(std::move(spec)),
      context_(context),
      observer_(observer),
      state_since_(context.dispatcher.systemTime()),
      state_since_monotonic_(context.dispatcher.monotonicTime()),
      switch_retry_timer_(context.dispatcher.createTimer([this] { startNext(); })),
      drain_timer_(context.dispatcher.createTimer([this] { onDrainTimer(); })),
      pod_(spec_.isCommand() ? "" : podOfTarget(spec_.target)),
      retry_timer_(context.dispatcher.createTimer([this] { run(); })),
      idle_timer_(context.dispatcher.createTimer([this] { onIdleTimer(); })) {
  acquireCluster();
}

Forward::~Forward() {
  holder_.reset();
  taps_.endAll(absl::StrCat("forward ", spec_.name, " is gone"));
}

void Forward::acquireCluster() {
  // The new cluster first: a reload that keeps the context must not let the old one go (and
  // with it what it knows about the API server) for a moment.
  ClusterRefPtr cluster = context_.clusters != nullptr && !spec_.isCommand()
                              ? context_.clusters->acquire(spec_)
                              : nullptr;
  cluster_wait_.reset();
  cluster_ = std::move(cluster);
}

pid_t Forward::pid() const { return current_ != nullptr ? current_->pid() : 0; }

std::string Forward::podReason() const { return current_ != nullptr ? current_->podReason() : ""; }

std::vector<std::string> Forward::childArgv() const {
  return current_ != nullptr && current_->pid() != 0 ? current_->argv()
                                                     : std::vector<std::string>{};
}

std::string Forward::note() const {
  if (!pod_not_ready_ || pod_.empty() ||
      (state_ != ForwardState::kReady && state_ != ForwardState::kStarting)) {
    return "";
  }
  return absl::StrCat("pod ", pod_, " is not Ready; forwarding anyway");
}

std::optional<event::SystemTime> Forward::nextRetry() const {
  if (state_ != ForwardState::kBackoff) {
    return std::nullopt;
  }
  if (cluster_wait_ != nullptr) {
    return (*cluster_)->nextCheck();
  }
  return context_.dispatcher.systemTime() + (retry_at_ - context_.dispatcher.monotonicTime());
}

std::optional<ConnectionCounters> Forward::connections() const {
  if (!spec_.holdsPorts() || holder_ == nullptr) {
    return std::nullopt;
  }
  return holder_->counters();
}

TunnelContext Forward::tunnelContext() const {
  return TunnelContext{.dispatcher = context_.dispatcher,
                       .launcher = context_.launcher,
                       .prober = context_.prober,
                       .pod_watches = context_.pod_watches,
                       .random = context_.random,
                       .stop_grace = context_.stop_grace,
                       .port_check_interval = context_.port_check_interval,
                       .shared_kubectls = context_.shared_kubectls};
}

void Forward::activate() {
  if (!spec_.enabled) {
    setState(ForwardState::kStopped, "disabled in the config");
    return;
  }
  // An onDemand forward holds its ports and waits in IDLE (run() decides); others start.
  lifecycle_ = Lifecycle::kRunning;
  run();
}

void Forward::start() {
  if (shuttingDown()) {
    return;
  }
  lifecycle_ = Lifecycle::kRunning;
  moving_ = false;
  wake();
  budget_.reset();
  retry_timer_->disable();
  if (current_ != nullptr && current_->broken()) {
    retireCurrent();  // the user wants it now, not after this one's grace period
  }
  if (current_ == nullptr) {
    run();
  }
}

void Forward::stop() {
  if (shuttingDown()) {
    return;
  }
  stopRunning("stopped by the user");
}

void Forward::stopRunning(const std::string& reason) {
  lifecycle_ = Lifecycle::kStopped;
  awake_ = false;
  idle_timer_->disable();
  retry_timer_->disable();
  owner_query_.reset();
  pod_check_.reset();
  cluster_wait_.reset();
  paced_start_.reset();
  start_when_ports_free_ = false;
  retireAll();
  pod_watch_.reset();
  prefetch_.reset();
  if (holder_ != nullptr) {
    holder_->release();
  }
  setState(ForwardState::kStopped, reason);
}

void Forward::restart() {
  if (shuttingDown()) {
    return;
  }
  lifecycle_ = Lifecycle::kRunning;
  moving_ = false;
  wake();
  budget_.reset();
  retry_timer_->disable();
  pod_check_.reset();
  if (current_ != nullptr) {
    note("restart requested: replacing the child");
  }
  retireAllButDrain();
  run();
}

bool Forward::healable() const {
  return lifecycle_ == Lifecycle::kRunning && cluster_wait_ == nullptr &&
         state_ != ForwardState::kIdle && state_ != ForwardState::kFailed &&
         state_ != ForwardState::kStopped;
}

void Forward::heal(const std::string& why, bool drain) {
  if (!healable()) {
    return;
  }
  note(absl::StrCat(why, ": starting a new kubectl"));
  moving_ = false;
  budget_.reset();
  retry_timer_->disable();
  pod_check_.reset();
  if (drain) {
    retireAllButDrain();
  } else {
    retireAll();
  }
  run();
}

void Forward::replaceSpec(ForwardSpec spec) {
  const bool was_disabled = !spec_.enabled;
  spec_ = std::move(spec);
  pod_ = spec_.isCommand() ? "" : podOfTarget(spec_.target);
  pod_not_ready_ = false;
  target_cache_.reset();
  served_.reset();
  prefetch_.reset();
  pod_watch_.reset();  // the namespace or context may have changed
  acquireCluster();
  if (shuttingDown()) {
    return;
  }
  note("the config changed: applying the new spec");
  if (!spec_.enabled) {
    stopRunning("disabled in the config");
    return;
  }
  // A forward the user stopped stays stopped; one that was only disabled comes back.
  if (lifecycle_ == Lifecycle::kStopped && !was_disabled) {
    return;
  }
  if (holder_ != nullptr && !spec_.holdsPorts()) {
    holder_->release();  // kubectl binds them from now on
  }
  if (!spec_.holdsPorts() && !taps_.empty()) {
    taps_.endAll(absl::StrCat("forward ", spec_.name,
                              " no longer holds its ports (the config changed): nothing to tap"));
  }
  lifecycle_ = Lifecycle::kRunning;
  budget_.reset();
  retry_timer_->disable();
  pod_check_.reset();
  retireAllButDrain();
  run();
}

absl::Status Forward::tap(TapSink* sink, const TapFilter& filter) {
  if (spec_.isCommand()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "forward ", spec_.name,
        " runs a command, which binds its ports itself: its bytes never pass through pfd, so "
        "there is nothing to tap"));
  }
  if (!spec_.holdsPorts()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "forward ", spec_.name,
        " has holdPort: false, so kubectl binds its ports and its bytes never pass through pfd; "
        "remove holdPort: false (pfd holds ports by default) to tap it"));
  }
  if (filter.port.has_value()) {
    std::vector<std::string> locals;
    bool known = false;
    for (const PortSpec& port : spec_.ports) {
      locals.push_back(absl::StrCat(port.local));
      known = known || port.local == *filter.port;
    }
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("forward ", spec_.name, " has no local port ", *filter.port,
                       "; its local ports: ", absl::StrJoin(locals, ", ")));
    }
  }
  taps_.attach(sink, filter);
  // Only that a tap came or went: the bytes themselves never reach the log.
  spdlog::debug("{}: a tap attached ({} attached)", spec_.name, taps_.size());
  return absl::OkStatus();
}

void Forward::untap(TapSink* sink) {
  taps_.detach(sink);
  spdlog::debug("{}: a tap detached ({} attached)", spec_.name, taps_.size());
}

void Forward::shutdown() {
  taps_.endAll(absl::StrCat("forward ", spec_.name, " was removed or pfd is shutting down"));
  lifecycle_ = Lifecycle::kShuttingDown;
  idle_timer_->disable();
  prefetch_.reset();
  retry_timer_->disable();
  owner_query_.reset();
  pod_watch_.reset();
  cluster_wait_.reset();
  paced_start_.reset();
  if (holder_ != nullptr) {
    holder_->release();
  }
  retireAll();
  maybeIdle();
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
  const std::string text =
      absl::StrCat(reason, "; fix it, then `pfctl restart ", spec_.name, "` or reload");
  if (holder_ != nullptr) {
    holder_->refuse(absl::StrCat("the forward is FAILED: ", reason));
  }
  setState(ForwardState::kFailed, text);
}

void Forward::waitForCluster(const std::string& reason, bool suspect,
                             std::function<void()> if_fine) {
  retry_timer_->disable();
  Cluster& cluster = **cluster_;
  Cluster::WaitCallbacks callbacks{
      .on_down = [this](const std::string& text) { showClusterWait(text); },
      .on_up = [this,
                if_fine = std::move(if_fine)](bool was_down) { onClusterUp(was_down, if_fine); }};
  cluster_wait_ = suspect ? cluster.suspect(reason, std::move(callbacks))
                          : cluster.waitIfNotUp(std::move(callbacks));
  if (cluster_wait_ == nullptr) {
    run();  // it came up in between
    return;
  }
  if (cluster.health() == ClusterHealth::kDown) {
    showClusterWait(cluster.downText());
    return;
  }
  // The check takes a round trip: the forward says BACKOFF only once it knows whose failure it
  // was (its own backoff, or the cluster's wait), so a healthy cluster costs no extra transition.
  const std::string text =
      absl::StrCat(reason, "; checking the API server of ", cluster.contextPhrase());
  if (state_ == ForwardState::kReady || state_ == ForwardState::kUnhealthy) {
    setState(ForwardState::kStarting, text);
  } else {
    note(text);
  }
}

void Forward::showClusterWait(const std::string& text) {
  if (absl::StrContains(text, "API server unreachable")) {
    recordError(text);
    events_.recordClusterDown(context_.dispatcher.systemTime(), text);
  }
  setState(ForwardState::kBackoff, absl::StrCat(text, "; waiting for it"), /*quiet=*/true);
}

void Forward::onClusterUp(bool was_down, const std::function<void()>& if_fine) {
  // The wait owns the callback that owns `if_fine`: keep a copy past the wait's release.
  const std::function<void()> then = if_fine;
  cluster_wait_.reset();
  if (lifecycle_ != Lifecycle::kRunning) {
    return;
  }
  if (was_down) {
    // The failures were the cluster's, not this forward's: a fresh history, and no wait.
    events_.recordClusterUp(
        context_.dispatcher.systemTime(),
        absl::StrCat("API server of ", (*cluster_)->contextPhrase(), " answers again: starting"));
    budget_.reset();
    presume_served_pod_ = true;
    run();
    return;
  }
  if (then) {
    then();  // the API server is fine: the failure was the forward's own
    return;
  }
  run();
}

void Forward::setState(ForwardState state, const std::string& reason, bool quiet) {
  const ForwardState previous = state_;
  // Every backoff is news (a retry that failed again, with its delay); other states set to
  // themselves are not.
  if (previous == state && state != ForwardState::kBackoff) {
    return;
  }
  state_ = state;
  state_since_ = context_.dispatcher.systemTime();
  state_since_monotonic_ = context_.dispatcher.monotonicTime();
  const std::string text =
      absl::StrCat(forwardStateName(previous), " -> ", forwardStateName(state), ": ", reason);
  note(text);
  if (quiet) {
    spdlog::debug("{}: {}", spec_.name, text);
    observer_.onStateChanged(*this, previous, reason);
    return;
  }
  switch (state) {
    case ForwardState::kBackoff:
    case ForwardState::kFailed:
    case ForwardState::kUnhealthy:
      spdlog::warn("{}: {}", spec_.name, text);
      recordEvent(HistoryEvent::Type::kWarning, eventReason(state), text);
      break;
    default:
      spdlog::info("{}: {}", spec_.name, text);
      recordEvent(HistoryEvent::Type::kNormal, eventReason(state), text);
  }
  observer_.onStateChanged(*this, previous, reason);
}

void Forward::recordEvent(HistoryEvent::Type type, std::string reason, std::string message) {
  events_.record(context_.dispatcher.systemTime(), type, std::move(reason), std::move(message));
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

// A tunnel may be the object whose callback is running right now; destroying it on the next turn
// of the loop keeps its stack frame valid.
void Forward::releaseLater(TunnelPtr tunnel) {
  context_.dispatcher.post([released = std::move(tunnel)] {});
}

void Forward::maybeIdle() {
  if (lifecycle_ == Lifecycle::kShuttingDown && current_ == nullptr && next_ == nullptr &&
      draining_.empty() && retiring_.empty()) {
    lifecycle_ = Lifecycle::kShutDown;
    observer_.onIdle(*this);
  }
}

}  // namespace pfd::core
