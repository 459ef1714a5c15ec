#pragma once

#include <systemd/sd-bus.h>
#include <uv.h>

#include <chrono>
#include <optional>
#include <string>

#include "daemon/core/notifier.h"
#include "daemon/event/dispatcher.h"

namespace pfd::app {

// Desktop notifications through org.freedesktop.Notifications on the user's session bus (sd-bus;
// DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus), on the daemon's loop: the bus's fd is a
// uv_poll, its timeout a timer, and Notify is an asynchronous call whose answer gives the
// notification its id. Nothing blocks the loop, not even connecting (a local socket) or the
// authentication (sd-bus does it as the loop turns).
//
// The bus is opened with the first notification. Without a session bus, or with no notification
// service on it, it says so once at info level and stays off: the next notification more than a
// minute later tries again (notifications are rare, so there is nothing to poll for).
class SessionBusNotifier : public core::Notifier {
 public:
  static constexpr std::chrono::minutes kRetryAfter{1};

  SessionBusNotifier(uv_loop_t* loop, event::Dispatcher& dispatcher);
  ~SessionBusNotifier() override;
  SessionBusNotifier(const SessionBusNotifier&) = delete;
  SessionBusNotifier& operator=(const SessionBusNotifier&) = delete;

  core::NotificationHandlePtr notify(const core::Notification& notification,
                                     const core::NotificationHandle* replaces) override;

 private:
  struct Connection;
  struct Call;

  bool connect();
  // Lets sd-bus do what it can now (read, write, dispatch answers), then waits for its fd and
  // timeout again.
  void pump();
  void rearm();
  void disconnect();
  void turnOff(const std::string& why);
  static int onReply(sd_bus_message* reply, void* userdata, sd_bus_error* error);

  uv_loop_t* loop_;
  event::Dispatcher& dispatcher_;
  Connection* connection_ = nullptr;
  event::TimerPtr timeout_timer_;
  std::optional<event::MonotonicTime> off_until_;
  bool said_off_ = false;
  // An answer said the bus (or the service) is gone; acted on once sd_bus_process returned.
  bool broken_ = false;
};

}  // namespace pfd::app
