#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "daemon/core/forward_spec.h"
#include "daemon/core/forward_state.h"
#include "daemon/core/log_buffer.h"
#include "daemon/core/pod_watch.h"
#include "daemon/core/probe_session.h"
#include "daemon/core/restart_policy.h"
#include "daemon/core/target_resolver.h"
#include "daemon/event/dispatcher.h"
#include "daemon/probe/prober.h"
#include "daemon/process/process_launcher.h"

namespace pfd::core {

// What every forward shares: the loop and the seams through which it acts on the world.
struct ForwardContext {
  event::Dispatcher& dispatcher;
  process::ProcessLauncher& launcher;
  probe::Prober& prober;
  // Uniform in [0, 1): backoff jitter and the spread of first probes.
  std::function<double()> random;
  // "pid 4242 (python3)" (or "another process") for whoever listens on a local port; "" when
  // nothing does.
  std::function<std::string(const std::string& address, uint16_t port)> describe_port_owner;
  // SIGTERM first; SIGKILL if the child is still there after this.
  Milliseconds stop_grace{3000};
  // How often a command forward's ports are tried while it starts.
  Milliseconds port_check_interval{100};
  // Tells workload forwards that their pod is being deleted; null: they learn it from kubectl.
  PodWatchHub* pod_watches = nullptr;
};

class Forward;

class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  virtual void onStateChanged(const Forward& forward, ForwardState previous,
                              const std::string& reason) = 0;
  virtual void onLogLine(const Forward& forward, const LogLine& line) = 0;
  // The readiness probe flipped between passing and failing, without (yet) a state change;
  // `text` is "readiness probe failed: HTTP 503 from /healthz".
  virtual void onProbeChanged(const Forward& /*forward*/, const std::string& /*text*/) {}
  // The forward was shut down and its child is gone: it may be destroyed (not from inside this
  // call).
  virtual void onIdle(Forward& forward) = 0;
};

// One entry of the forward list and the child that serves it. A state machine over events (child
// spawned, line printed, child exited, probe result, timer fired, user request); all of its side
// effects go through ForwardContext, so tests drive it with a simulated clock and fake children.
class Forward {
 public:
  Forward(ForwardSpec spec, ForwardContext& context, ForwardObserver& observer);
  ~Forward();
  Forward(const Forward&) = delete;
  Forward& operator=(const Forward&) = delete;

  // Starts the child if the spec is enabled; a disabled forward stays STOPPED.
  void activate();
  // User requests. start/restart also clear a FAILED state and the backoff history.
  void start();
  void stop();
  void restart();
  // Reload with a changed spec: the child is replaced by one running the new spec.
  void replaceSpec(ForwardSpec spec);
  // Stops for good (removal or daemon exit); ForwardObserver::onIdle follows once no child runs.
  void shutdown();

  const ForwardSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  ForwardState state() const { return state_; }
  pid_t pid() const;
  const std::string& pod() const { return pod_; }
  // Children started after the first one.
  int restarts() const { return restarts_; }
  event::SystemTime stateSince() const { return state_since_; }
  event::MonotonicTime stateSinceMonotonic() const { return state_since_monotonic_; }
  const std::string& lastError() const { return last_error_; }
  std::optional<event::SystemTime> lastErrorTime() const { return last_error_time_; }
  std::optional<event::SystemTime> nextRetry() const;
  const std::optional<ProbeStatus>& probeStatus() const { return probe_status_; }
  const LogBuffer& logs() const { return logs_; }
  bool idle() const { return child_ == nullptr; }

 private:
  // What to do once the running child has exited.
  enum class AfterExit { kBackoff, kStartNow, kStay };

  // Starts a run: resolves the target to a pod when it is a workload or service, then launches.
  void spawnChild();
  void onResolved(absl::StatusOr<Resolution> resolution);
  void launch(const std::vector<std::string>& argv);
  void onStartDeadline();
  // A start that could not get a child: FAILED when retrying cannot help, else BACKOFF.
  void failStart(const absl::Status& status);
  void onPodEvent(const PodEvent& event);
  void onLine(process::OutputStream stream, std::string_view line);
  void onExit(const process::ExitStatus& status);
  void onPortForwarding(uint16_t port);
  void onAllPortsForwarding();
  void becomeReady();
  void checkCommandPorts();
  // "local port 5432 is already in use by pid 4242 (postgres)" for a command forward, else "".
  std::string takenCommandPort() const;
  // The child runs but is broken: kill it and back off with `reason`.
  void failChild(const std::string& reason);
  void terminateChild(AfterExit after);
  // `delay` comes from budget_; 0 is the one immediate retry a healthy run earns.
  void enterBackoff(const std::string& reason, Milliseconds delay);
  void enterFailed(const std::string& reason);
  void setState(ForwardState state, const std::string& reason);
  void recordError(const std::string& reason);
  void note(const std::string& text);
  void stopTimersAndProbes();
  void releaseLater(std::unique_ptr<ProbeSession> session);
  void releaseLater(process::ProcessPtr child);
  void releaseLater(probe::ProbeHandlePtr handle);
  void releaseLater(std::unique_ptr<TargetResolver> resolver);
  std::string exitReason(const process::ExitStatus& status) const;

  ForwardSpec spec_;
  ForwardContext& context_;
  ForwardObserver& observer_;

  ForwardState state_ = ForwardState::kStopped;
  event::SystemTime state_since_;
  event::MonotonicTime state_since_monotonic_;
  bool want_running_ = false;
  bool shutting_down_ = false;
  bool terminating_ = false;  // SIGTERM sent; waiting for the exit
  bool first_child_ = true;
  bool first_probe_ = true;

  process::ProcessPtr child_;
  AfterExit after_exit_ = AfterExit::kBackoff;
  std::string pending_reason_;     // why the running child is being killed
  bool killed_for_probe_ = false;  // pending_reason_ is a failed probe's (kubectl may say more)
  std::string run_error_;          // the best error line the running child printed
  std::set<uint16_t> forwarding_ports_;
  std::optional<event::MonotonicTime> ready_since_;

  RestartBudget budget_;
  int restarts_ = 0;
  std::string pod_;
  std::string last_error_;
  std::optional<event::SystemTime> last_error_time_;
  event::MonotonicTime retry_at_;

  event::TimerPtr retry_timer_;
  event::TimerPtr start_deadline_timer_;
  event::TimerPtr port_check_timer_;
  PodWatchRegistrationPtr pod_watch_;
  bool waiting_for_pod_ = false;  // BACKOFF only because no pod of the target runs
  uint64_t run_ = 0;  // bumped whenever probes, port checks and resolution are abandoned
  std::unique_ptr<TargetResolver> resolver_;
  std::optional<TargetObject> target_cache_;  // the workload's selector, kept across restarts
  std::unique_ptr<ProbeSession> probe_session_;
  std::optional<ProbeStatus> probe_status_;
  std::vector<probe::ProbeHandlePtr> port_checks_;

  LogBuffer logs_;
};

using ForwardPtr = std::unique_ptr<Forward>;

}  // namespace pfd::core
