#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/event/dispatcher.h"

namespace pfd::app {

class ConfigWatcher;
using ConfigWatcherPtr = std::unique_ptr<ConfigWatcher>;

// Calls `on_change` when the config file changes on disk. It watches the file's directory, not
// the file: editors and config managers replace files by renaming a new one over them, which a
// watch on the old inode would miss. Bursts of events (an editor writes, renames and chmods) are
// merged into one call after a short quiet period.
class ConfigWatcher {
 public:
  static constexpr std::chrono::milliseconds kQuietPeriod{150};

  static absl::StatusOr<ConfigWatcherPtr> create(uv_loop_t* loop, event::Dispatcher& dispatcher,
                                                 const std::string& config_path,
                                                 std::function<void()> on_change);
  ~ConfigWatcher();
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

 private:
  struct Handle;
  ConfigWatcher() = default;

  Handle* handle_ = nullptr;  // frees itself in its close callback
  event::TimerPtr quiet_timer_;
  std::function<void()> on_change_;
  std::string file_name_;
};

}  // namespace pfd::app
