#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace pfd::core {

struct Notification {
  enum class Urgency { kNormal, kCritical };
  std::string summary;  // "pfd: web is down"
  std::string body;     // why, or for how long
  Urgency urgency = Urgency::kNormal;
};

// A notification the desktop was asked to show. Its id is the desktop's, filled in when the
// desktop answers: 0 until then, and for good when there is no desktop to answer.
struct NotificationHandle {
  uint32_t id = 0;
};
using NotificationHandlePtr = std::shared_ptr<NotificationHandle>;

// Shows desktop notifications (production: org.freedesktop.Notifications on the session bus).
// Fire and forget: it never blocks and never fails the caller; with no desktop, nothing shows.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // Shows `notification` in place of `replaces` (one an earlier call returned; null, or an id not
  // known yet: a new one).
  virtual NotificationHandlePtr notify(const Notification& notification,
                                       const NotificationHandle* replaces) = 0;
};

}  // namespace pfd::core
