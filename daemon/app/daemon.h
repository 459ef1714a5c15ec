#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "daemon/app/config_watcher.h"
#include "daemon/app/control_socket.h"
#include "daemon/app/instance_lock.h"
#include "daemon/app/metrics_endpoint.h"
#include "daemon/app/session_bus_notifier.h"
#include "daemon/app/summary_writer.h"
#include "daemon/app/systemd_notifier.h"
#include "daemon/config/config.h"
#include "daemon/core/api_server_check.h"
#include "daemon/core/cluster.h"
#include "daemon/core/down_notices.h"
#include "daemon/core/shared_kubectl.h"
#include "daemon/core/start_pacer.h"
#include "daemon/core/supervisor.h"
#include "daemon/event/libuv_dispatcher.h"
#include "daemon/event/libuv_signal_watcher.h"
#include "daemon/event/network_watcher.h"
#include "daemon/event/suspend_detector.h"
#include "daemon/probe/prober_set.h"
#include "daemon/process/libuv_process_launcher.h"
#include "daemon/relay/libuv_relay.h"
#include "daemon/rpc/control_service.h"
#include "grpcpp/grpcpp.h"

namespace pfd::app {

struct DaemonOptions {
  std::string config_path;
  std::string socket_path;
  std::chrono::milliseconds stop_grace{3000};
};

// The wiring of one pfd: loop, launcher, probers, supervisor, control socket, signals. Built by
// create(), which fails (and starts nothing) on a bad config, a second instance or a bad socket.
class Daemon {
 public:
  static absl::StatusOr<std::unique_ptr<Daemon>> create(DaemonOptions options);
  ~Daemon();

  // Starts the forwards and serves until SIGTERM/SIGINT; every child has exited when it returns.
  void run();

 private:
  explicit Daemon(DaemonOptions options) : options_(std::move(options)) {}
  absl::Status init(config::Config config);
  void onSignal(int signal_number);
  absl::StatusOr<core::ReconcileResult> reload();
  void fillConfigStatus(v1::ConfigStatus* status) const;
  void beginShutdown();
  // Watches the config file while pfd runs (and retries a watch that could not be set up);
  // stops watching once pfd is shutting down.
  void updateConfigWatch();
  // Reloads when the config says reloadOnChange, else only notes that the file is newer.
  void onConfigFileChanged();
  // Suspend and network changes (docs/ARCHITECTURE.md): every cluster is looked at again, and
  // running forwards get a new kubectl, whose streams are most likely dead.
  void startWakeWatchers();
  void onResume(std::chrono::milliseconds asleep);
  void onNetworkChange(const event::NetworkChangeReport& report);
  // Heals every running forward; returns how many.
  size_t healForwards(const std::string& why);

  DaemonOptions options_;
  config::Config config_;
  event::SystemTime config_loaded_at_;
  // Why the file on disk could not become the running config (a failed reload); "" otherwise.
  std::string config_error_;
  bool change_pending_ = false;  // changed on disk, waiting for `pfctl reload` (reloadOnChange off)
  // The config file's bytes at the last load or reload attempt: with reloadOnChange: false, a
  // change event whose file still has them changes nothing that pfd would report.
  std::optional<std::string> config_bytes_;

  InstanceLockPtr lock_;
  ControlSocketPtr control_socket_;
  event::LibuvDispatcherPtr dispatcher_;
  process::LibuvProcessLauncherPtr launcher_;
  std::unique_ptr<probe::ProberSet> prober_;
  std::unique_ptr<relay::LibuvRelay> relay_;
  std::unique_ptr<core::ApiServerChecker> cluster_checker_;
  std::unique_ptr<core::ClusterHub> clusters_;
  std::unique_ptr<core::StartPacer> pacer_;
  std::unique_ptr<core::PodWatchHub> pod_watches_;
  std::unique_ptr<core::TargetPrefetcher> prefetcher_;
  std::unique_ptr<core::SharedKubectls> shared_kubectls_;  // outlives the forwards' runs
  std::unique_ptr<core::ForwardContext> forward_context_;
  std::unique_ptr<core::Supervisor> supervisor_;
  std::unique_ptr<MetricsEndpoint> metrics_;  // GET /metrics (config `metrics:`)
  std::unique_ptr<rpc::ControlService> service_;
  std::unique_ptr<grpc::Server> server_;
  event::LibuvSignalWatcherPtr signals_;
  std::unique_ptr<SystemdNotifier> notifier_;
  std::unique_ptr<SummaryWriter> summary_;  // SOCKET.summary, for `pfctl status --short`
  // `notify: true`: desktop notifications of forwards that stay down.
  std::unique_ptr<SessionBusNotifier> desktop_;
  std::unique_ptr<core::DownNotices> down_notices_;
  ConfigWatcherPtr config_watcher_;
  std::unique_ptr<event::SuspendDetector> suspend_detector_;
  event::NetworkWatcherPtr network_watcher_;
  std::thread server_shutdown_;
  bool shutting_down_ = false;
  event::SystemTime started_;
};

}  // namespace pfd::app
