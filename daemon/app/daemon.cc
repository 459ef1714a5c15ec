#include "daemon/app/daemon.h"

#include <unistd.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/app/port_owner.h"
#include "daemon/config/config_loader.h"
#include "daemon/config/summary_file.h"
#include "daemon/core/network_change.h"
#include "daemon/core/status_summary.h"
#include "daemon/core/wording.h"
#include "daemon/rpc/proto_convert.h"
#include "grpcpp/server_posix.h"
#include "spdlog/spdlog.h"

namespace pfd::app {
namespace {

// The file's bytes, or nullopt when it cannot be read (the loader then says why).
std::optional<std::string> readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) {
    return std::nullopt;
  }
  return std::move(bytes).str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options) {
  // The config is read first: a bad one must stop pfd before it touches the socket of another.
  std::optional<std::string> bytes = readFileBytes(options.config_path);
  auto config = config::loadConfigFile(options.config_path);
  if (!config.ok()) {
    return config.status();
  }
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(options)));
  daemon->config_bytes_ = std::move(bytes);
  if (absl::Status status = daemon->init(std::move(*config)); !status.ok()) {
    return status;
  }
  return daemon;
}

absl::Status Daemon::init(config::Config config) {
  config_ = std::move(config);
  auto lock = InstanceLock::acquire(options_.socket_path);
  if (!lock.ok()) {
    return lock.status();
  }
  lock_ = std::move(*lock);
  // Bound now, while pfd is still single-threaded: it sets the process's umask for a moment.
  auto control_socket = ControlSocket::listen(options_.socket_path);
  if (!control_socket.ok()) {
    return control_socket.status();
  }
  control_socket_ = std::move(*control_socket);

  auto dispatcher = event::LibuvDispatcher::create();
  if (!dispatcher.ok()) {
    return dispatcher.status();
  }
  dispatcher_ = std::move(*dispatcher);
  started_ = dispatcher_->systemTime();
  config_loaded_at_ = started_;
  auto launcher = process::LibuvProcessLauncher::create(dispatcher_->loop());
  if (!launcher.ok()) {
    return launcher.status();
  }
  launcher_ = std::move(*launcher);
  prober_ = probe::ProberSet::createForLoop(*dispatcher_, *launcher_);
  auto relay = relay::LibuvRelay::create(dispatcher_->loop());
  if (!relay.ok()) {
    return relay.status();
  }
  relay_ = std::move(*relay);

  auto generator = std::make_shared<std::mt19937_64>(std::random_device{}());
  auto random = [generator] {
    return std::uniform_real_distribution<double>(0.0, 1.0)(*generator);
  };
  cluster_checker_ = std::make_unique<core::ApiServerChecker>(*dispatcher_, *launcher_, *prober_,
                                                              core::ApiServerChecker::Options{});
  clusters_ = std::make_unique<core::ClusterHub>(*dispatcher_, *cluster_checker_,
                                                 core::ClusterHub::Options{});
  // 2 ms apart: 200 forwards start over 0.4 s, 20 over 40 ms.
  pacer_ = std::make_unique<core::StartPacer>(*dispatcher_, std::chrono::milliseconds(2));
  pod_watches_ = std::make_unique<core::PodWatchHub>(*dispatcher_, *launcher_, random);
  pod_watches_->setClusters(clusters_.get());
  prefetcher_ = std::make_unique<core::TargetPrefetcher>(*dispatcher_, *launcher_);
  shared_kubectls_ = std::make_unique<core::SharedKubectls>(*dispatcher_, *launcher_);
  forward_context_ = std::make_unique<core::ForwardContext>(
      core::ForwardContext{.dispatcher = *dispatcher_,
                           .launcher = *launcher_,
                           .prober = *prober_,
                           .random = random,
                           .find_port_owner = portOwnerFinder(dispatcher_->loop()),
                           .stop_grace = options_.stop_grace,
                           .pod_watches = pod_watches_.get(),
                           .relay = relay_.get(),
                           .prefetcher = prefetcher_.get(),
                           .clusters = clusters_.get(),
                           .pacer = pacer_.get(),
                           .shared_kubectls = shared_kubectls_.get()});
  supervisor_ = std::make_unique<core::Supervisor>(*forward_context_);
  // A metrics port that cannot be bound stops pfd, as a bad config does (docs/config.md).
  metrics_ = std::make_unique<MetricsEndpoint>(*dispatcher_, *supervisor_, *clusters_);
  if (absl::Status status = metrics_->apply(config_.metrics); !status.ok()) {
    return status;
  }
  startWakeWatchers();

  v1::GetVersionResponse version;
  version.set_version(PFD_VERSION);
  version.set_pid(getpid());
  version.set_config_path(options_.config_path);
  version.set_socket_path(options_.socket_path);
  rpc::toTimestamp(started_, version.mutable_started());
  service_ = std::make_unique<rpc::ControlService>(
      *dispatcher_,
      rpc::ControlBackend{.supervisor = *supervisor_,
                          .reload = [this] { return reload(); },
                          .config_status = [this](v1::ConfigStatus* s) { fillConfigStatus(s); },
                          .version = version});

  // No listening port: connections come from control_socket_, which checks who is calling first.
  grpc::ServerBuilder builder;
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the gRPC server for the control socket ", options_.socket_path,
                     " (see the gRPC message above)"));
  }
  if (absl::Status status = control_socket_->start(
          *dispatcher_, geteuid(),
          [this](int fd) { grpc::AddInsecureChannelFromFd(server_.get(), fd); });
      !status.ok()) {
    return status;
  }

  auto signals = event::LibuvSignalWatcher::create(
      dispatcher_->loop(), event::LibuvSignalWatcher::daemonSignals(),
      [this](int signal_number) { onSignal(signal_number); });
  if (!signals.ok()) {
    return signals.status();
  }
  signals_ = std::move(*signals);
  notifier_ = std::make_unique<SystemdNotifier>(*dispatcher_, *supervisor_);
  summary_ = std::make_unique<SummaryWriter>(
      *dispatcher_, config::summaryPathFor(options_.socket_path), [this] {
        std::vector<core::ForwardStatusEntry> entries;
        for (const core::Forward* forward : supervisor_->forwards()) {
          entries.push_back({.name = forward->name(), .state = forward->state()});
        }
        return core::summarizeForwards(entries);
      });
  supervisor_->addListener(summary_.get());
  desktop_ = std::make_unique<SessionBusNotifier>(dispatcher_->loop(), *dispatcher_);
  down_notices_ = std::make_unique<core::DownNotices>(*dispatcher_, *desktop_, *supervisor_);
  supervisor_->addListener(down_notices_.get());
  updateConfigWatch();
  return absl::OkStatus();
}

Daemon::~Daemon() {
  if (control_socket_ != nullptr) {
    control_socket_->close();
  }
  if (server_shutdown_.joinable()) {
    server_shutdown_.join();
  }
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
  }
  // Children and handles go before the loop that owns their handles.
  config_watcher_.reset();
  network_watcher_.reset();
  suspend_detector_.reset();
  notifier_.reset();
  if (summary_ != nullptr) {
    supervisor_->removeListener(summary_.get());
    summary_.reset();
  }
  if (down_notices_ != nullptr) {
    supervisor_->removeListener(down_notices_.get());
    down_notices_.reset();
  }
  desktop_.reset();
  signals_.reset();
  control_socket_.reset();
  server_.reset();
  service_.reset();
  metrics_.reset();
  supervisor_.reset();
  pod_watches_.reset();
  prefetcher_.reset();
  forward_context_.reset();
  shared_kubectls_.reset();
  pacer_.reset();
  clusters_.reset();
  cluster_checker_.reset();
  relay_.reset();
  prober_.reset();
  launcher_.reset();
  dispatcher_.reset();
}

void Daemon::run() {
  dispatcher_->post([this] {
    core::ReconcileResult result = supervisor_->reconcile(config_.forwards);
    down_notices_->configure(config_.notify);
    spdlog::info("pfd {} serving {} on {} with {} forwards from {}", PFD_VERSION, "pfd.v1.Control",
                 options_.socket_path, result.added.size(), options_.config_path);
    notifier_->ready();
    summary_->changed();
  });
  dispatcher_->run();
}

void Daemon::onSignal(int signal_number) {
  if (signal_number == SIGHUP) {
    if (shutting_down_) {
      // A reload now would start forwards the shutdown just stopped, and tell systemd
      // RELOADING=1/READY=1 after STOPPING=1.
      spdlog::info("SIGHUP ignored: pfd is stopping");
      return;
    }
    spdlog::info("SIGHUP: reloading {}", options_.config_path);
    auto result = reload();
    (void)result;  // reload() logs both outcomes
    return;
  }
  spdlog::info("signal {}: stopping every forward", signal_number);
  beginShutdown();
}

void Daemon::beginShutdown() {
  if (shutting_down_) {
    return;
  }
  shutting_down_ = true;
  notifier_->stopping();
  summary_->stopping();
  updateConfigWatch();
  dispatcher_->post(
      [detector = std::move(suspend_detector_), watcher = std::move(network_watcher_)] {});
  service_->finishStreams();
  supervisor_->shutdown([this] {
    spdlog::info("every child has exited; closing the control socket");
    // Accepting stops on the loop before the server shuts down, so no connection is handed to a
    // server that is going away.
    control_socket_->close();
    // Server::Shutdown waits for calls in flight, which need the loop to finish: it runs on its
    // own thread while the loop keeps turning, and the loop exits once it returns.
    server_shutdown_ = std::thread([this] {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
      dispatcher_->post([this] { dispatcher_->exit(); });
    });
  });
}

void Daemon::startWakeWatchers() {
  suspend_detector_ = std::make_unique<event::SuspendDetector>(
      *dispatcher_, event::SuspendClocks::system(),
      [this](std::chrono::milliseconds asleep) { onResume(asleep); });
  auto watcher = event::NetworkWatcher::create(
      dispatcher_->loop(), *dispatcher_,
      [this](const event::NetworkChangeReport& report) { onNetworkChange(report); });
  if (!watcher.ok()) {
    spdlog::warn("network changes will not be noticed (forwards heal on their own failures): {}",
                 std::string(watcher.status().message()));
    return;
  }
  network_watcher_ = std::move(*watcher);
}

size_t Daemon::healForwards(const std::string& why) {
  size_t healed = 0;
  for (core::Forward* forward : supervisor_->forwards()) {
    if (forward->healable()) {
      forward->heal(why);
      healed++;
    }
  }
  return healed;
}

void Daemon::onResume(std::chrono::milliseconds asleep) {
  if (shutting_down_) {
    return;
  }
  const std::string why = absl::StrCat("resumed after ", core::formatDelay(asleep), " asleep");
  size_t running = 0;
  for (const core::Forward* forward : supervisor_->forwards()) {
    running += forward->healable() ? 1 : 0;
  }
  spdlog::info("{}: restarting {} forward{}", why, running, running == 1 ? "" : "s");
  clusters_->checkAll(why);
  healForwards(why);
}

void Daemon::onNetworkChange(const event::NetworkChangeReport& report) {
  if (shutting_down_) {
    return;
  }
  const std::string why = absl::StrCat("network changed (", report.summary, ")");
  // kubectl forwards: once their cluster's check answers, those whose cluster answers
  // differently, or whose kubectl forwarded nothing since the change, get a new kubectl.
  auto snapshot = std::make_shared<const core::NetworkChangeSnapshot>(
      core::NetworkChangeSnapshot::take(supervisor_->forwards()));
  clusters_->checkAll(why, [this, snapshot, why](const core::Cluster& cluster, bool differs) {
    if (shutting_down_) {
      return;
    }
    const core::NetworkChangeSnapshot::Outcome outcome =
        snapshot->apply(cluster, differs, supervisor_->forwards(), why);
    spdlog::info("{}: the API server of {} answers {}: restarting {} forward{}{}", why,
                 cluster.contextPhrase(), differs ? "differently" : "as before", outcome.restarted,
                 outcome.restarted == 1 ? "" : "s",
                 outcome.kept == 0 ? ""
                                   : absl::StrCat(", keeping ", outcome.kept,
                                                  " that forwarded since the change"));
  });
  size_t healed = 0;
  if (report.default_route_changed) {
    // Command forwards have no cluster to ask and pfd does not see their traffic: a new default
    // route (VPN up or down, another Wi-Fi) may have left their connections behind.
    for (core::Forward* forward : supervisor_->forwards()) {
      if (forward->spec().isCommand() && forward->healable()) {
        forward->heal(why);
        healed++;
      }
    }
  }
  spdlog::info("{}: checking {} cluster{}{}", why, clusters_->clusters().size(),
               clusters_->clusters().size() == 1 ? "" : "s",
               report.default_route_changed
                   ? absl::StrCat(", restarting ", healed, " forward", healed == 1 ? "" : "s")
                   : "");
}

absl::StatusOr<core::ReconcileResult> Daemon::reload() {
  if (shutting_down_) {
    // Every path that reloads ends here (RPC, SIGHUP, a watcher timer that was already armed):
    // after shutdown emptied the supervisor, a reconcile would start every forward again.
    return absl::UnavailableError(
        "pfd is shutting down, so it does not reload its config; start pfd again to apply it");
  }
  notifier_->reloading();
  // Read before the loader: if the file changes in between, a later change event sees other
  // bytes and says so, rather than missing a change.
  config_bytes_ = readFileBytes(options_.config_path);
  auto config = config::loadConfigFile(options_.config_path);
  if (config.ok()) {
    // Before anything else changes: a metrics address that cannot be bound fails the reload.
    if (absl::Status status = metrics_->apply(config->metrics); !status.ok()) {
      config = status;
    }
  }
  if (!config.ok()) {
    config_error_ = std::string(config.status().message());
    change_pending_ = false;  // the error says more
    spdlog::error("reload failed, the running forwards are unchanged: {}", config_error_);
    // Until a good reload, `systemctl status pfd` says why the file on disk is not running.
    notifier_->setReloadError(config_error_);
    notifier_->ready();
    return config.status();
  }
  config_error_.clear();
  change_pending_ = false;
  notifier_->setReloadError("");
  config_ = std::move(*config);
  config_loaded_at_ = dispatcher_->systemTime();
  core::ReconcileResult result = supervisor_->reconcile(config_.forwards);
  down_notices_->configure(config_.notify);  // restarts nothing
  spdlog::info("reloaded {}: added [{}], changed [{}], removed [{}], {} unchanged",
               options_.config_path, absl::StrJoin(result.added, ", "),
               absl::StrJoin(result.changed, ", "), absl::StrJoin(result.removed, ", "),
               result.unchanged.size());
  updateConfigWatch();
  notifier_->ready();
  summary_->changed();  // forwards added or removed
  return result;
}

void Daemon::updateConfigWatch() {
  if (shutting_down_) {
    // Possibly called from the watcher's own callback: release it on the next turn.
    dispatcher_->post([released = std::move(config_watcher_)] {});
    return;
  }
  if (config_watcher_ != nullptr) {
    return;
  }
  // The file is watched even with reloadOnChange: false, so that pfd can say that what runs is
  // older than the file (in the log and in `pfctl status`) instead of silently running it.
  auto watcher = ConfigWatcher::create(dispatcher_->loop(), *dispatcher_, options_.config_path,
                                       [this] { onConfigFileChanged(); });
  if (!watcher.ok()) {
    spdlog::warn("{}; reload with `pfctl reload` or SIGHUP instead",
                 std::string(watcher.status().message()));
    return;
  }
  config_watcher_ = std::move(*watcher);
}

void Daemon::onConfigFileChanged() {
  if (shutting_down_) {
    return;
  }
  if (config_.reload_on_change) {
    spdlog::info("{} changed on disk: reloading", options_.config_path);
    auto result = reload();
    (void)result;  // reload() logs both outcomes
    return;
  }
  if (readFileBytes(options_.config_path) == config_bytes_) {
    // Typically the late event of a write that `pfctl reload` already applied (or that failed
    // to load, whose error must stay the one shown).
    spdlog::debug("{} was written, but it is what pfd last read", options_.config_path);
    return;
  }
  spdlog::info(
      "{} changed on disk; reloadOnChange is false, so `pfctl reload` (or SIGHUP) "
      "applies it",
      options_.config_path);
  if (config_error_.empty()) {
    change_pending_ = true;  // `pfctl status` says the running config is older than the file
  }
}

void Daemon::fillConfigStatus(v1::ConfigStatus* status) const {
  status->set_path(options_.config_path);
  rpc::toTimestamp(config_loaded_at_, status->mutable_loaded_at());
  status->set_stale(!config_error_.empty() || change_pending_);
  status->set_error(config_error_);
  status->set_pending(change_pending_);
}

}  // namespace pfd::app
