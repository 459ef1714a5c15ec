#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/notifier.h"

namespace pfd::testing {

// Records every notification; the desktop "answers" at once with ids 1, 2, 3... (a replacement
// keeps the id it replaces, as notification servers do). With `desktop` false nothing answers:
// every handle keeps id 0, as without a session bus.
class FakeNotifier : public core::Notifier {
 public:
  struct Shown {
    core::Notification notification;
    uint32_t replaces = 0;  // the id it replaced; 0: a new one
    uint32_t id = 0;
  };

  core::NotificationHandlePtr notify(const core::Notification& notification,
                                     const core::NotificationHandle* replaces) override {
    auto handle = std::make_shared<core::NotificationHandle>();
    const uint32_t replaced = replaces != nullptr ? replaces->id : 0;
    if (desktop) {
      handle->id = replaced != 0 ? replaced : ++last_id_;
    }
    shown.push_back({notification, replaced, handle->id});
    return handle;
  }

  std::vector<std::string> summaries() const {
    std::vector<std::string> result;
    for (const Shown& each : shown) {
      result.push_back(each.notification.summary);
    }
    return result;
  }

  bool desktop = true;
  std::vector<Shown> shown;

 private:
  uint32_t last_id_ = 0;
};

}  // namespace pfd::testing
