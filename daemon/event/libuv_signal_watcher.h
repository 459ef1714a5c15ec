#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace pfd::event {

class LibuvSignalWatcher;
using LibuvSignalWatcherPtr = std::unique_ptr<LibuvSignalWatcher>;

// Delivers signals on the loop thread instead of in a signal handler, so that the daemon can
// shut down (SIGTERM, SIGINT) or reload (SIGHUP) with ordinary code. Destroy it before the
// loop's dispatcher.
class LibuvSignalWatcher {
 public:
  using Callback = std::function<void(int signal_number)>;

  // The signals a daemon's main watches: SIGTERM and SIGINT to stop, SIGHUP to reload.
  static std::vector<int> daemonSignals();

  static absl::StatusOr<LibuvSignalWatcherPtr> create(uv_loop_t* loop,
                                                      const std::vector<int>& signal_numbers,
                                                      Callback callback);
  ~LibuvSignalWatcher();
  LibuvSignalWatcher(const LibuvSignalWatcher&) = delete;
  LibuvSignalWatcher& operator=(const LibuvSignalWatcher&) = delete;

  struct Handle;

 private:
  LibuvSignalWatcher() = default;

  // Each handle frees itself in its close callback, which runs after this object is gone.
  std::vector<Handle*> handles_;
};

}  // namespace pfd::event
