#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "daemon/event/burst_debouncer.h"
#include "daemon/event/dispatcher.h"
#include "daemon/event/netlink_messages.h"
#include "daemon/event/network_table.h"

namespace pfd::event {

class NetworkWatcher;
using NetworkWatcherPtr = std::unique_ptr<NetworkWatcher>;

// What changed in one burst of network changes.
struct NetworkChangeReport {
  // "address 127.0.0.9/8 added on lo; default route via 10.1.0.1 on eth0 removed"; at most a few
  // changes spelled out, then "and N more".
  std::string summary;
  int changes = 0;  // how many changes the burst held
  bool default_route_changed = false;
  bool addresses_changed = false;
};

// Tells pfd when the machine's addresses, routes or links change (VPN up or down, Wi-Fi switch, a
// cable), from the kernel's own announcements: an rtnetlink socket subscribed to link, IPv4 and
// IPv6 address and route changes, read on the loop with uv_poll. A NetworkTable drops
// announcements that change nothing. Nothing outside the machine is polled. The kernel
// sends a burst of messages for one change (an address brings its routes, a VPN several of each),
// so changes are merged by a BurstDebouncer into one report.
class NetworkWatcher {
 public:
  using OnChange = std::function<void(const NetworkChangeReport& report)>;

  struct Options {
    // A burst ends after this long without a message. A VPN or DHCP client applies its addresses
    // and routes within a few tens of milliseconds; half a second covers a slow one.
    std::chrono::milliseconds quiet{500};
    // A burst that never goes quiet (a flapping link) is still reported this long after it began.
    std::chrono::milliseconds max_delay{2000};
    // Called once, when the watcher has read the links, addresses and routes that existed before
    // it (or gave up reading them). Changes are watched from create() on either way; only
    // announcements of what already existed are recognised as no change from here on. It may run
    // inside create(), and must not destroy the watcher.
    std::function<void()> on_baseline;
  };

  // Opens and subscribes the socket. An error (no netlink, e.g. a sandbox) says so; pfd can run
  // without the watcher. `on_change` runs on the loop and may destroy the watcher.
  static absl::StatusOr<NetworkWatcherPtr> create(uv_loop_t* loop, Dispatcher& dispatcher,
                                                  OnChange on_change, Options options);
  static absl::StatusOr<NetworkWatcherPtr> create(uv_loop_t* loop, Dispatcher& dispatcher,
                                                  OnChange on_change) {
    return create(loop, dispatcher, std::move(on_change), Options());
  }
  ~NetworkWatcher();
  NetworkWatcher(const NetworkWatcher&) = delete;
  NetworkWatcher& operator=(const NetworkWatcher&) = delete;

  struct Handle;

 private:
  NetworkWatcher(Dispatcher& dispatcher, OnChange on_change, Options options);
  // The current state is read with three dumps, one after the other (netlink runs one dump per
  // socket at a time): links, addresses, routes.
  void requestNextDump();
  void finishBaseline();
  void readAll();
  void record(const NetworkChange& change);
  std::string interfaceName(const NetworkChange& change);
  void report(const BurstDebouncer::Burst& burst);

  OnChange on_change_;
  std::function<void()> on_baseline_;
  NetworkTable table_;
  uint32_t port_id_ = 0;        // the kernel's address for this socket, in dump replies
  size_t dumps_requested_ = 0;  // of the three
  uint32_t dump_sequence_ = 0;  // of the dump running, 0 when none
  uint32_t next_sequence_ = 1;
  // Names seen for interface indexes, for messages about an interface that is already gone.
  absl::flat_hash_map<int, std::string> interface_names_;
  bool default_route_changed_ = false;
  bool addresses_changed_ = false;
  BurstDebouncer debouncer_;
  Handle* handle_ = nullptr;  // frees itself (and closes the socket) in its close callback
};

// Joins a burst's descriptions into one line, the first few spelled out.
std::string summarizeNetworkChanges(const BurstDebouncer::Burst& burst);

}  // namespace pfd::event
