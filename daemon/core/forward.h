#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/cluster.h"
#include "daemon/core/event_ring.h"
#include "daemon/core/forward_spec.h"
#include "daemon/core/forward_state.h"
#include "daemon/core/log_buffer.h"
#include "daemon/core/pod_watch.h"
#include "daemon/core/port_holder.h"
#include "daemon/core/port_owner_query.h"
#include "daemon/core/probe_session.h"
#include "daemon/core/restart_policy.h"
#include "daemon/core/start_pacer.h"
#include "daemon/core/tap_hub.h"
#include "daemon/core/target_prefetcher.h"
#include "daemon/core/tunnel.h"
#include "daemon/event/dispatcher.h"
#include "daemon/probe/prober.h"
#include "daemon/process/process_launcher.h"
#include "daemon/relay/relay.h"

namespace pfd::core {

// What every forward shares: the loop and the seams through which it acts on the world.
struct ForwardContext {
  event::Dispatcher& dispatcher;
  process::ProcessLauncher& launcher;
  probe::Prober& prober;
  // Uniform in [0, 1): backoff jitter and the spread of first probes.
  std::function<double()> random;
  // Who listens on a local port pfd (or kubectl) could not bind; null: nobody is named.
  FindPortOwner find_port_owner;
  // SIGTERM first; SIGKILL if the child is still there after this.
  Milliseconds stop_grace{3000};
  // How often a command forward's ports are tried while it starts.
  Milliseconds port_check_interval{100};
  // Tells workload forwards that their pod is being deleted; null: they learn it from kubectl.
  PodWatchHub* pod_watches = nullptr;
  // Holds local ports and relays connections; required by forwards that hold their ports.
  relay::Relay* relay = nullptr;
  // Fetches an IDLE forward's target object ahead of its first connection; may be null.
  TargetPrefetcher* prefetcher = nullptr;
  // The clusters kubectl forwards share (API server health); null: each forward backs off alone.
  ClusterHub* clusters = nullptr;
  // Spreads starts over time; null: every start runs at once.
  StartPacer* pacer = nullptr;
  // Forwards of the same pod and ports share one kubectl; null: one kubectl per forward.
  SharedKubectls* shared_kubectls = nullptr;
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
  // The forward moved to another pod without leaving READY (make-before-break); `text` is
  // "switched from pod web-1 to pod web-2 (web-1 is terminating); 2 connections draining".
  virtual void onSwitched(const Forward& /*forward*/, const std::string& /*text*/) {}
  // The forward was shut down and its children are gone: it may be destroyed (not from inside
  // this call).
  virtual void onIdle(Forward& forward) = 0;
};

// One entry of the forward list: its spec, its state and restart policy, its held local ports,
// and the run (Tunnel) that serves it. A state machine over what its runs report (resolved,
// spawned, ready, broken, ended), pod events, timers and user requests; every side effect goes
// through ForwardContext, so tests drive it with a simulated clock, fake children and a fake
// relay. The forward decides; tunnels and the port holder act.
class Forward : private TunnelObserver {
 public:
  Forward(ForwardSpec spec, ForwardContext& context, ForwardObserver& observer);
  ~Forward() override;
  Forward(const Forward&) = delete;
  Forward& operator=(const Forward&) = delete;

  // Starts if the spec is enabled; a disabled forward stays STOPPED.
  void activate();
  // User requests. start/restart also clear a FAILED state and the backoff history.
  void start();
  void stop();
  void restart();
  // The machine resumed from suspend or its network changed under kubectl: its streams are
  // likely dead although kubectl does not know yet. A running forward starts a new kubectl at
  // once with a fresh backoff history; held ports keep their connections waiting, as in any
  // heal. Without `drain` the old kubectl goes at once (its connections are as dead); with it,
  // its open connections keep it until they close (up to drainTimeout), as in a restart, for
  // when it may well be alive. IDLE, STOPPED and FAILED forwards, and those waiting for their
  // cluster (which is checked anyway), are left alone.
  void heal(const std::string& why, bool drain = false);
  // Whether heal() would restart it.
  bool healable() const;
  // Reload with a changed spec: the run is replaced by one of the new spec; held ports that the
  // new spec keeps stay bound, with their connections.
  void replaceSpec(ForwardSpec spec);
  // Stops for good (removal or daemon exit) and releases the ports at once; ForwardObserver::onIdle
  // follows once no child runs.
  void shutdown();

  // pfctl tap: `sink` sees this forward's connections (and their bytes) from now until untap(),
  // across heals and restarts. FailedPrecondition when pfd does not hold the forward's ports (a
  // command forward, holdPort: false), InvalidArgument for a port the forward does not have.
  absl::Status tap(TapSink* sink, const TapFilter& filter);
  void untap(TapSink* sink);

  const ForwardSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  ForwardState state() const { return state_; }
  pid_t pid() const;
  const std::string& pod() const { return pod_; }
  // Children started after the first one.
  int restarts() const { return children_started_ > 0 ? children_started_ - 1 : 0; }
  event::SystemTime stateSince() const { return state_since_; }
  event::MonotonicTime stateSinceMonotonic() const { return state_since_monotonic_; }
  const std::string& lastError() const { return last_error_; }
  std::optional<event::SystemTime> lastErrorTime() const { return last_error_time_; }
  std::optional<event::SystemTime> nextRetry() const;
  const std::optional<ProbeStatus>& probeStatus() const { return probe_status_; }
  // The cluster it talks to; null for command forwards (or without a ClusterHub).
  const Cluster* cluster() const { return cluster_ != nullptr ? &**cluster_ : nullptr; }
  // It waits for its cluster's API server to answer rather than on its own backoff.
  bool waitingForCluster() const { return cluster_wait_ != nullptr; }
  const LogBuffer& logs() const { return logs_; }
  // The last events (pfctl describe). Not const: cluster health records ClusterDown/ClusterUp on
  // each forward of the cluster.
  const EventRing& events() const { return events_; }
  EventRing& events() { return events_; }
  // The last readiness probe results of the serving run and those before it, oldest first.
  const std::deque<ProbeStatus>& probeHistory() const { return probe_history_; }
  static constexpr size_t kProbeHistory = 10;
  // Why the serving run's pod was chosen; "" when the target names the pod or none is chosen.
  std::string podReason() const;
  // The serving run's command line; empty when no child runs.
  std::vector<std::string> childArgv() const;
  // kubectl's "Handling connection for PORT" lines, counted instead of kept in logs().
  uint64_t kubectlConnections() const { return kubectl_connections_; }
  // A caveat while the forward serves: "pod web-x is not Ready; forwarding anyway" when the only
  // pod pfd could choose is Running but not Ready. "" otherwise.
  std::string note() const;
  // The traffic through held ports; nullopt when the forward does not hold its ports.
  std::optional<ConnectionCounters> connections() const;
  // When a connection through the held ports was last accepted or closed (an IDLE forward's
  // "last served"); nullopt before the first one.
  std::optional<event::SystemTime> lastServed() const;

  // A switch to another pod in progress: the pod that still serves, the one being started (""
  // while no other pod is Ready), since when and why.
  struct PodSwitch {
    std::string from_pod;
    std::string to_pod;
    event::SystemTime since;
    std::string reason;
  };
  std::optional<PodSwitch> podSwitch() const;
  // Pods left by a switch whose open connections may finish there (drainTimeout).
  struct DrainingPod {
    std::string pod;
    pid_t pid = 0;
    uint64_t connections = 0;
    event::SystemTime until;
  };
  std::vector<DrainingPod> draining() const;

 private:
  // TunnelObserver: what the current run and the retiring ones report.
  void onTunnelResolved(Tunnel& tunnel, const Resolution& resolution) override;
  void onTunnelSpawned(Tunnel& tunnel) override;
  void onTunnelReady(Tunnel& tunnel) override;
  void onTunnelBroken(Tunnel& tunnel, TunnelCause cause, const std::string& reason) override;
  void onTunnelEnded(Tunnel& tunnel, const TunnelEnd& end) override;
  void onTunnelOutput(Tunnel& tunnel, const LogLine& line) override;
  void onTunnelConnectionLine(Tunnel& tunnel, std::string_view line) override;
  void onTunnelNote(Tunnel& tunnel, const std::string& text) override;
  void onTunnelProbe(Tunnel& tunnel, const ProbeStatus& status, bool changed) override;

  // Starts a run now: binds the held ports first, waits for the ports of a run still stopping
  // when kubectl binds them itself, checks a command's ports are free.
  void run(bool fresh_listing = false);
  void startTunnel(bool fresh_listing);
  // Binds the held ports (again, after a failure or a new spec); false when a bind failed, in
  // which case the forward backs off (or fails) with the reason.
  bool holdPorts();
  void checkCommandPortFree(size_t index);
  // Stops the current run on purpose; its end then changes nothing.
  void retireCurrent();
  // The current run ended: what next (BACKOFF, FAILED, a new run at once).
  void afterRun(const Tunnel& tunnel, const TunnelEnd& end);
  void onPodEvent(const PodEvent& event);
  // Make-before-break (forward_switch.cc): the serving pod is going; a second run starts on
  // another pod while the first still serves, and takes over once it is READY.
  bool canSwitch() const;
  void beginSwitch(const std::string& why);
  void startNext();
  void completeSwitch();
  void onNextEnded(const TunnelEnd& end);
  // The current run ended during a switch: the next one, if any, takes its place.
  bool promoteNext();
  void stopDraining(size_t index, const std::string& why);
  void onUpstreamIdle(uint64_t upstream_id);
  void onDrainTimer();
  void armDrainTimer();
  // Lazy start (forward_idle.cc).
  bool onDemand() const;
  // Whether a run should start now: always for start: always; for onDemand once awake.
  bool wanted() const;
  void wake();
  void enterIdle(const std::string& reason);
  void onIdleTimer();
  void onConnectionWaiting();
  // Stops every run: current, next, draining.
  void retireAll();
  // Like retireAll, but the serving run's open connections keep their kubectl until they close
  // (up to drainTimeout) while new ones wait for the next run: a restart or a changed spec does
  // not cut a response in the middle.
  void retireAllButDrain();
  void retire(TunnelPtr tunnel);
  void stopRunning(const std::string& reason);
  // Asks who holds `port`; `done` gets "local port P is already in use by OWNER".
  void askPortOwner(const std::string& address, uint16_t port,
                    std::function<void(const std::string& in_use)> done);
  void enterBackoff(const std::string& reason, Milliseconds delay);
  // The run failed in a way that may be the cluster's (suspect), or the cluster is not up: wait
  // for the cluster instead of backing off alone. `if_fine` runs if the cluster turns out fine
  // at once (the failure was this forward's: its own backoff, or a look at its pod); a cluster
  // that was down and answers again starts the forward with a fresh history.
  void waitForCluster(const std::string& reason, bool suspect, std::function<void()> if_fine);
  void showClusterWait(const std::string& text);
  void onClusterUp(bool was_down, const std::function<void()>& if_fine);
  void acquireCluster();
  void enterFailed(const std::string& reason);
  // `quiet`: logged at debug level (a cluster's outage is one line, the cluster's, not one per
  // forward).
  void setState(ForwardState state, const std::string& reason, bool quiet = false);
  void recordError(const std::string& reason);
  void note(const std::string& text);
  void recordEvent(HistoryEvent::Type type, std::string reason, std::string message);
  void releaseLater(TunnelPtr tunnel);
  void maybeIdle();
  TunnelContext tunnelContext() const;
  std::optional<Milliseconds> readyFor() const;
  // The pod watch has listed the namespace and says `pod` is terminating, not Ready or gone.
  bool podLeavingByWatch(const std::string& pod) const;
  // The pod watch has listed the namespace: resolution needs no kubectl and no wait.
  bool podsKnownByWatch() const;

  ForwardSpec spec_;
  ForwardContext& context_;
  ForwardObserver& observer_;

  ForwardState state_ = ForwardState::kStopped;
  event::SystemTime state_since_;
  event::MonotonicTime state_since_monotonic_;
  // What the user (or the config) asked for; kShutDown once a shut-down forward reported idle.
  enum class Lifecycle { kStopped, kRunning, kShuttingDown, kShutDown };
  Lifecycle lifecycle_ = Lifecycle::kStopped;
  bool shuttingDown() const { return lifecycle_ >= Lifecycle::kShuttingDown; }

  // The run whose outcome decides the forward's state: starting, serving, or broken and on its
  // way out. Runs the forward stopped on purpose (a pod move, a restart, a reload) wait in
  // retiring_ until their child has exited.
  TunnelPtr current_;
  uint64_t current_id_ = 0;
  uint64_t last_id_ = 0;
  // During a switch: the run on the pod it switches to.
  TunnelPtr next_;
  uint64_t next_id_ = 0;
  struct Switch {
    std::string from_pod;
    std::string why;  // "is terminating"
    event::SystemTime since;
    bool waiting_for_pod = false;  // no other pod is Ready: the next run starts when one is
    int failures = 0;              // next runs that failed; their retries back off
  };
  std::optional<Switch> switch_;
  event::TimerPtr switch_retry_timer_;
  // Runs left by a switch, serving the connections they already had.
  struct Draining {
    TunnelPtr tunnel;
    uint64_t id = 0;
    event::MonotonicTime until;
    event::SystemTime until_system;
  };
  std::vector<Draining> draining_;
  event::TimerPtr drain_timer_;
  std::vector<TunnelPtr> retiring_;
  bool start_when_ports_free_ = false;  // kubectl binds the ports: wait for the old one to go
  TapHub taps_;                         // before holder_, which points to it
  std::unique_ptr<PortHolder> holder_;

  // kubectl lost its pod: the failure counts for the backoff only if a fresh look at the pods
  // finds that pod still live (else it was replaced, which is not a failure).
  struct PodCheck {
    std::string pod;
    std::optional<Milliseconds> ready_for;
    std::string reason;
  };
  std::optional<PodCheck> pod_check_;

  std::optional<event::MonotonicTime> ready_since_;
  RestartBudget budget_;
  int children_started_ = 0;  // kubectl children of current runs (switches' next runs not)
  std::string pod_;
  std::string last_error_;
  std::optional<event::SystemTime> last_error_time_;
  event::MonotonicTime retry_at_;
  event::TimerPtr retry_timer_;
  // start: onDemand (forward_idle.cc): awake from the first connection (or pfctl start) until
  // idleTimeout passes without one; asleep it is IDLE, its ports held and no kubectl running.
  bool awake_ = false;
  event::MonotonicTime awake_since_;
  event::TimerPtr idle_timer_;
  PrefetchTicketPtr prefetch_;
  PodWatchRegistrationPtr pod_watch_;
  bool waiting_for_pod_ = false;  // no pod of the target runs: a Ready one starts it at once
  // The run was started because its pod went away: no pod to go to yet is a wait, not a failure.
  bool moving_ = false;
  int pod_waits_ = 0;  // re-checks while moving with no Ready pod; they slow down
  std::optional<TargetObject> target_cache_;  // the workload's selector, kept across runs
  // The resolution of the last run that was READY, and whether the next run goes straight to
  // its pod (the first run after the cluster was down; see TunnelOptions::presumed).
  std::optional<Resolution> served_;
  bool presume_served_pod_ = false;
  std::optional<ProbeStatus> probe_status_;
  PortOwnerQueryPtr owner_query_;
  // Declared before the wait, which must go first.
  ClusterRefPtr cluster_;
  Cluster::WaitPtr cluster_wait_;
  PacedStartPtr paced_start_;

  LogBuffer logs_;
  EventRing events_;
  std::deque<ProbeStatus> probe_history_;
  uint64_t kubectl_connections_ = 0;
  // The serving pod (pod_) was chosen, or later reported by the pod watch, as not Ready.
  bool pod_not_ready_ = false;
};

using ForwardPtr = std::unique_ptr<Forward>;

}  // namespace pfd::core
