#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/forward_spec.h"
#include "daemon/core/log_buffer.h"
#include "daemon/core/pod_watch.h"
#include "daemon/core/probe_session.h"
#include "daemon/core/shared_kubectl.h"
#include "daemon/core/target_resolver.h"
#include "daemon/event/dispatcher.h"
#include "daemon/probe/prober.h"
#include "daemon/process/process_launcher.h"

namespace pfd::core {

// What a tunnel needs from the world; the forward's context lends it.
struct TunnelContext {
  event::Dispatcher& dispatcher;
  process::ProcessLauncher& launcher;
  probe::Prober& prober;
  PodWatchHub* pod_watches;        // may be null
  std::function<double()> random;  // uniform in [0, 1): the phase of the probes
  Milliseconds stop_grace;
  Milliseconds port_check_interval;
  // Runs of held-port forwards join the kubectl of the same pod and ports; null: one each.
  SharedKubectls* shared_kubectls = nullptr;
};

// Why a tunnel stopped serving, or could not start.
enum class TunnelCause {
  kStartFailed,    // no child: the program could not be spawned, or resolution failed
  kNoPod,          // resolution found the target but no pod of it runs
  kStartDeadline,  // nothing forwarded (or the API server never answered) within startTimeout
  kBroken,         // kubectl said the forward is broken
  kUnhealthy,      // the readiness probe failed failureThreshold times
  kExited,         // the child ended on its own
  kStopped,        // the forward stopped it
};

struct TunnelEnd {
  TunnelCause cause = TunnelCause::kExited;
  std::string reason;
  bool retry_can_help = true;  // false: FAILED (the program cannot run, the config is impossible)
  bool port_in_use = false;    // kBroken: kubectl could not bind a local port (holdPort: false)
  uint16_t port = 0;           // the local port of port_in_use
  // The API server, not the pod or the app, seems to be what failed (unreachable, hung, TLS,
  // credentials, 5xx): the forward's cluster is checked before anyone retries.
  bool cluster_level = false;
};

struct TunnelOptions {
  // The first probe waits for its phase (pfd's own start); later runs probe at once.
  bool probe_on_phase = false;
  // Resolve from a fresh `kubectl get pods`, not from the pod watch's cache.
  bool fresh_listing = false;
  // The resolution of the run that served last, used as is instead of resolving again: after an
  // outage of the API server the pod is most likely still there, and waiting for the pod watch
  // to list the namespace again would come before every forward's kubectl. If the pod is gone,
  // kubectl says so within a round trip and the forward looks again.
  std::optional<Resolution> presumed;
};

class Tunnel;

class TunnelObserver {
 public:
  virtual ~TunnelObserver() = default;
  // Resolution chose a pod; the child starts right after unless the observer stops the tunnel.
  virtual void onTunnelResolved(Tunnel& tunnel, const Resolution& resolution) = 0;
  virtual void onTunnelSpawned(Tunnel& tunnel) = 0;
  // Every port forwards and the readiness probe (if any) passed.
  virtual void onTunnelReady(Tunnel& tunnel) = 0;
  // It stopped serving and is terminating its child; onTunnelEnded follows.
  virtual void onTunnelBroken(Tunnel& tunnel, TunnelCause cause, const std::string& reason) = 0;
  // Nothing of it runs any more (its child exited, or never ran). Reported once, possibly from
  // inside start() or stop(); the owner may then release it, but not destroy it in the call.
  virtual void onTunnelEnded(Tunnel& tunnel, const TunnelEnd& end) = 0;
  virtual void onTunnelOutput(Tunnel& tunnel, const LogLine& line) = 0;
  // kubectl's "Handling connection for 8080": counted, not kept as output, so that a busy
  // forward's connections do not push its real errors out of the log.
  virtual void onTunnelConnectionLine(Tunnel& /*tunnel*/, std::string_view /*line*/) {}
  virtual void onTunnelNote(Tunnel& tunnel, const std::string& text) = 0;
  virtual void onTunnelProbe(Tunnel& tunnel, const ProbeStatus& status, bool changed) = 0;
};

// One attempt to serve a forward: resolve the target to a pod, run kubectl (or the forward's
// command), wait for its `Forwarding from` lines (or, for a command, for its ports to accept),
// then for the readiness probe. Everything it starts (resolver, child, timers, probes) belongs to
// it: destroying the tunnel cancels them all, so no callback of a stale attempt can reach the
// forward. It reports what happens to its observer and decides nothing about what comes next.
class Tunnel {
 public:
  Tunnel(ForwardSpec spec, TunnelContext context, std::optional<TargetObject>& target_cache,
         TunnelOptions options, TunnelObserver& observer);
  ~Tunnel();
  Tunnel(const Tunnel&) = delete;
  Tunnel& operator=(const Tunnel&) = delete;

  void start();
  // Stops serving: SIGTERM to the child (SIGKILL after the grace), everything else cancelled.
  // onTunnelEnded follows once the child is gone, or from inside this call when none runs.
  void stop();

  pid_t pid() const;
  // The pod it forwards to: the one resolution chose, or a bare pod target's; "" otherwise.
  const std::string& pod() const { return pod_; }
  // Why resolution chose pod(): "the newest of 2 Ready pods of deployment/web"; "" when the
  // target names the pod itself or nothing was resolved.
  const std::string& podReason() const { return pod_reason_; }
  // The child's command line; empty until it is spawned.
  const std::vector<std::string>& argv() const { return argv_; }
  bool ready() const { return phase_ == Phase::kReady; }
  // It stopped serving and its child is on the way out.
  bool broken() const { return phase_ == Phase::kBroken; }
  bool running() const { return phase_ != Phase::kEnded; }
  // Held ports only: the ephemeral port kubectl listens on for spec.ports[index], 0 until known.
  uint16_t upstreamPort(size_t index) const;
  std::vector<uint16_t> upstreamPorts() const { return upstream_ports_; }
  const std::optional<ProbeStatus>& probeStatus() const { return probe_status_; }
  // What resolution chose (or what was presumed); nullopt for targets kubectl takes as they are.
  const std::optional<Resolution>& resolution() const { return resolution_; }
  // It went to the pod of TunnelOptions::presumed without resolving.
  bool presumed() const { return options_.presumed.has_value(); }
  // It only finishes the connections it has (draining): a kubectl it shares with other forwards
  // takes no new ones, so that the next run of this forward does not join it.
  void closeChildToOthers();

 private:
  enum class Phase { kResolving, kStarting, kProbing, kReady, kBroken, kEnded };

  void onResolved(absl::StatusOr<Resolution> resolution);
  void launch(const std::vector<std::string>& argv);
  void onLine(process::OutputStream stream, std::string_view line);
  void onBrokenLine(std::string reason, bool port_in_use, uint16_t port);
  void onExit(const process::ExitStatus& status);
  void onStartDeadline();
  void onForwarding(uint16_t local_port, uint16_t listening_port);
  void onAllPortsForwarding();
  void startProbe();
  void checkCommandPorts();
  void becomeReady();
  // The child runs but cannot serve: terminate it; onTunnelEnded says `reason` when it is gone.
  void breakDown(TunnelCause cause, const std::string& reason);
  // Nothing ran or runs: report the end on the next turn.
  void endWithoutChild(TunnelEnd end);
  void cancelWork();
  std::string exitReason(const process::ExitStatus& status) const;
  void note(const std::string& text);

  const ForwardSpec spec_;
  TunnelContext context_;
  std::optional<TargetObject>& target_cache_;
  const TunnelOptions options_;
  TunnelObserver& observer_;

  Phase phase_ = Phase::kResolving;
  std::string pod_;
  std::string pod_reason_;
  std::optional<Resolution> resolution_;
  std::vector<std::string> argv_;
  std::unique_ptr<TargetResolver> resolver_;
  process::ProcessPtr child_;
  SharedKubectls::Member* member_ = nullptr;  // child_, when it is shared
  bool terminating_ = false;
  event::TimerPtr start_deadline_;
  event::TimerPtr port_check_timer_;
  std::vector<probe::ProbeHandlePtr> port_checks_;
  std::unique_ptr<ProbeSession> probe_session_;
  std::optional<ProbeStatus> probe_status_;

  std::set<uint16_t> forwarding_;         // local ports whose `Forwarding from` line came
  std::vector<uint16_t> upstream_ports_;  // per spec port: where kubectl listens (held ports)
  std::string run_error_;                 // the best error line the child printed
  // Why it is going away, once decided; kubectl's own account refines a failed probe's.
  std::optional<TunnelEnd> ending_;
  bool refine_with_kubectl_ = false;
  // Probes and port checks may answer while their objects wait for release on the next turn:
  // their callbacks hold this weakly and die with the tunnel.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

using TunnelPtr = std::unique_ptr<Tunnel>;

}  // namespace pfd::core
