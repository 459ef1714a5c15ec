#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "daemon/app/metrics_server.h"
#include "daemon/config/config.h"
#include "daemon/core/cluster.h"
#include "daemon/core/heal_times.h"
#include "daemon/core/metrics_text.h"
#include "daemon/core/supervisor.h"
#include "daemon/event/libuv_dispatcher.h"

namespace pfd::app {

// The config's `metrics:` made real: the server, whose pages are rendered from what the
// supervisor and the clusters already know, and the heal times, which listen to the supervisor
// from pfd's start (so heals are counted even before metrics are turned on by a reload).
class MetricsEndpoint {
 public:
  MetricsEndpoint(event::LibuvDispatcher& dispatcher, core::Supervisor& supervisor,
                  const core::ClusterHub& clusters);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Serves where `config` says, or nowhere when it is nullopt. A new address is bound before the
  // old listener closes; when it cannot be, the error says why and the old listener serves on.
  absl::Status apply(const std::optional<config::MetricsConfig>& config);

  // The page GET /metrics answers.
  std::string render();
  core::MetricsSnapshot snapshot();

 private:
  event::LibuvDispatcher& dispatcher_;
  core::Supervisor& supervisor_;
  const core::ClusterHub& clusters_;
  core::HealTimes heal_times_;
  std::optional<config::MetricsConfig> serving_config_;
  MetricsServerPtr server_;
};

}  // namespace pfd::app
