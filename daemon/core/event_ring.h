#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "daemon/event/dispatcher.h"

namespace pfd::core {

// One notable thing that happened to a forward, as `kubectl describe` lists an object's events.
struct HistoryEvent {
  enum class Type { kNormal, kWarning };
  Type type = Type::kNormal;
  std::string reason;  // one word: Ready, BackOff, ProbeFailed, PodSwitched, ClusterDown...
  std::string message;
  event::SystemTime first_time;
  event::SystemTime last_time;
  uint32_t count = 1;  // the same event repeated in a row is one entry
};

// A forward's last `capacity` events (pfctl describe): state transitions and what changes the
// picture without one (pod switched, probe flipped, held connections dropped, cluster down/up).
// Bounded, so a forward that flaps for a week costs the same memory as one that never did; an
// event equal to the newest one (type, reason, message) bumps its count instead of pushing out
// older history, as Kubernetes folds repeated events.
class EventRing {
 public:
  static constexpr size_t kDefaultCapacity = 50;

  explicit EventRing(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  void record(event::SystemTime time, HistoryEvent::Type type, std::string reason,
              std::string message);
  // The forward's cluster (kubeconfig + context) stopped or started answering; called by whoever
  // watches cluster health, for each forward of that cluster.
  void recordClusterDown(event::SystemTime time, const std::string& why);
  void recordClusterUp(event::SystemTime time, const std::string& detail);

  // Oldest first.
  std::vector<HistoryEvent> events() const { return {events_.begin(), events_.end()}; }
  size_t size() const { return events_.size(); }

 private:
  size_t capacity_;
  std::deque<HistoryEvent> events_;
};

}  // namespace pfd::core
