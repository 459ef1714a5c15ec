#include "daemon/core/event_ring.h"

#include <utility>

namespace pfd::core {

void EventRing::record(event::SystemTime time, HistoryEvent::Type type, std::string reason,
                       std::string message) {
  if (!events_.empty()) {
    HistoryEvent& newest = events_.back();
    if (newest.type == type && newest.reason == reason && newest.message == message) {
      newest.count++;
      newest.last_time = time;
      return;
    }
  }
  events_.push_back(HistoryEvent{.type = type,
                                 .reason = std::move(reason),
                                 .message = std::move(message),
                                 .first_time = time,
                                 .last_time = time});
  while (events_.size() > capacity_) {
    events_.pop_front();
  }
}

void EventRing::recordClusterDown(event::SystemTime time, const std::string& why) {
  record(time, HistoryEvent::Type::kWarning, "ClusterDown",
         why.empty() ? "the cluster's API server does not answer"
                     : "the cluster's API server does not answer: " + why);
}

void EventRing::recordClusterUp(event::SystemTime time, const std::string& detail) {
  record(time, HistoryEvent::Type::kNormal, "ClusterUp",
         detail.empty() ? "the cluster's API server answers again"
                        : "the cluster's API server answers again: " + detail);
}

}  // namespace pfd::core
