#include "daemon/app/metrics_endpoint.h"

#include <chrono>
#include <set>

#include "spdlog/spdlog.h"

namespace pfd::app {

MetricsEndpoint::MetricsEndpoint(event::LibuvDispatcher& dispatcher, core::Supervisor& supervisor,
                                 const core::ClusterHub& clusters)
    : dispatcher_(dispatcher),
      supervisor_(supervisor),
      clusters_(clusters),
      heal_times_(dispatcher) {
  supervisor_.addListener(&heal_times_);
}

MetricsEndpoint::~MetricsEndpoint() {
  server_.reset();
  supervisor_.removeListener(&heal_times_);
}

absl::Status MetricsEndpoint::apply(const std::optional<config::MetricsConfig>& config) {
  if (config == serving_config_) {
    return absl::OkStatus();
  }
  if (!config.has_value()) {
    if (server_ != nullptr) {
      spdlog::info("metrics: no longer serving on {}", server_->where());
    }
    server_.reset();
    serving_config_.reset();
    return absl::OkStatus();
  }
  if (serving_config_.has_value() && serving_config_->host == config->host &&
      serving_config_->port == config->port) {
    serving_config_ = config;  // only allowRemote changed: the same socket serves on
    return absl::OkStatus();
  }
  // The same port on another address of this host can be bound before the old one closes; the
  // very same address and port cannot, and is handled above.
  auto server = MetricsServer::listen(dispatcher_.loop(), config->host, config->port,
                                      [this] { return render(); });
  if (!server.ok()) {
    return server.status();
  }
  if (server_ != nullptr) {
    spdlog::info("metrics: moving from {} to {}", server_->where(), (*server)->where());
  }
  server_ = std::move(*server);
  serving_config_ = config;
  spdlog::info("metrics: serving GET /metrics on http://{}/metrics", server_->where());
  return absl::OkStatus();
}

core::MetricsSnapshot MetricsEndpoint::snapshot() {
  core::MetricsSnapshot snapshot;
  std::set<std::string> names;
  const std::vector<core::Forward*> forwards = supervisor_.forwards();
  snapshot.forwards.reserve(forwards.size());
  for (const core::Forward* forward : forwards) {
    core::ForwardMetrics metrics{.name = forward->name(),
                                 .state = forward->state(),
                                 .restarts = static_cast<uint64_t>(forward->restarts()),
                                 .connections = forward->connections(),
                                 .probe = std::nullopt,
                                 .heals = heal_times_.of(forward->name())};
    if (const auto& probe = forward->probeStatus(); probe.has_value()) {
      metrics.probe = core::ForwardMetrics::Probe{
          .success = probe->result.success,
          .latency_seconds = std::chrono::duration<double>(probe->result.latency).count()};
    }
    names.insert(forward->name());
    snapshot.forwards.push_back(std::move(metrics));
  }
  heal_times_.retainOnly(names);
  for (const core::Cluster* cluster : clusters_.clusters()) {
    snapshot.clusters.push_back({.context = cluster->contextName(),
                                 .kubeconfig = cluster->key().kubeconfig,
                                 .up = cluster->health() != core::ClusterHealth::kDown});
  }
  return snapshot;
}

std::string MetricsEndpoint::render() { return core::renderMetrics(snapshot()); }

}  // namespace pfd::app
