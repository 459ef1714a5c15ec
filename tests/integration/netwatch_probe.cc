// A NetworkWatcher on a real loop, for tests/integration/test_network_watcher.py: prints
// "watching" once subscribed and the existing state is read, and one line per report:
//   change COUNT default_route=0|1 addresses=0|1: SUMMARY
// and exits 0 on SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>

#include "daemon/event/libuv_dispatcher.h"
#include "daemon/event/libuv_signal_watcher.h"
#include "daemon/event/network_watcher.h"

int main() {
  using pfd::event::LibuvDispatcher;
  absl::StatusOr<pfd::event::LibuvDispatcherPtr> dispatcher = LibuvDispatcher::create();
  if (!dispatcher.ok()) {
    std::fprintf(stderr, "netwatch_probe: %s\n", dispatcher.status().ToString().c_str());
    return 1;
  }
  LibuvDispatcher& loop = **dispatcher;
  {
    pfd::event::NetworkWatcher::Options options;
    options.on_baseline = [] {
      std::printf("watching\n");
      std::fflush(stdout);
    };
    absl::StatusOr<pfd::event::NetworkWatcherPtr> watcher = pfd::event::NetworkWatcher::create(
        loop.loop(), loop,
        [](const pfd::event::NetworkChangeReport& report) {
          std::printf("change %d default_route=%d addresses=%d: %s\n", report.changes,
                      report.default_route_changed ? 1 : 0, report.addresses_changed ? 1 : 0,
                      report.summary.c_str());
          std::fflush(stdout);
        },
        options);
    if (!watcher.ok()) {
      std::fprintf(stderr, "netwatch_probe: %s\n", watcher.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<pfd::event::LibuvSignalWatcherPtr> signals =
        pfd::event::LibuvSignalWatcher::create(loop.loop(), {SIGTERM, SIGINT},
                                               [&loop](int) { loop.exit(); });
    if (!signals.ok()) {
      std::fprintf(stderr, "netwatch_probe: %s\n", signals.status().ToString().c_str());
      return 1;
    }
    loop.run();
  }
  dispatcher->reset();
  return 0;
}
