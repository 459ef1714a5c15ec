#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/core/forward_spec.h"
#include "daemon/core/pod_listing.h"
#include "daemon/core/target_resolver.h"
#include "daemon/event/dispatcher.h"
#include "daemon/process/process_launcher.h"

namespace pfd::core {

// A fetch the caller still waits for; destroying it cancels the wait.
class PrefetchTicket {
 public:
  virtual ~PrefetchTicket() = default;
};
using PrefetchTicketPtr = std::unique_ptr<PrefetchTicket>;

// Fetches the objects behind workload targets (kind, pod selector, service ports) before they
// are needed, so that an IDLE forward's first connection goes straight to `kubectl port-forward`
// on the pod the watch knows. At most `parallel` kubectl run at a time, whatever the number of
// forwards (200 IDLE forwards must not start 200 kubectl at once), and forwards asking for the
// same target while it is fetched share the one kubectl. Nothing is kept once delivered: a
// forward keeps its object, and refetches it itself when it stops working.
class TargetPrefetcher {
 public:
  using Done = std::function<void(const TargetObject& object)>;

  TargetPrefetcher(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher,
                   size_t parallel = 2);
  ~TargetPrefetcher();
  TargetPrefetcher(const TargetPrefetcher&) = delete;
  TargetPrefetcher& operator=(const TargetPrefetcher&) = delete;

  // `done` runs on the loop once the object is fetched; never when the fetch fails (the
  // forward's own resolution then says why) or after the ticket is destroyed.
  PrefetchTicketPtr fetch(const ForwardSpec& spec, Done done);

  size_t running() const { return running_; }
  size_t queued() const { return queue_.size(); }

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  struct Entry {
    ForwardSpec spec;
    std::optional<TargetObject> object;
    std::map<uint64_t, Done> waiters;
    std::unique_ptr<TargetResolver> resolver;
  };
  class Ticket;

  void startNext();
  void onFetched(const Key& key, bool ok);
  void cancel(const Key& key, uint64_t id);

  event::Dispatcher& dispatcher_;
  process::ProcessLauncher& launcher_;
  const size_t parallel_;
  std::map<Key, std::unique_ptr<Entry>> entries_;
  std::deque<Key> queue_;
  size_t running_ = 0;
  uint64_t next_id_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pfd::core
