#pragma once

#include <memory>
#include <string>

#include "daemon/core/supervisor.h"
#include "daemon/event/dispatcher.h"

namespace pfd::app {

// Tells systemd (Type=notify) what pfd is doing, through sd_notify(3): READY=1 once the socket is
// bound and the forwards are started, STATUS=<n>/<m> forwards ready kept current (with why the
// last reload failed, if it did), RELOADING=1 and READY=1 around reloads, STOPPING=1, and
// WATCHDOG=1 every half WatchdogSec when the unit sets one. Without NOTIFY_SOCKET every call is a
// cheap no-op.
class SystemdNotifier : public core::SupervisorListener {
 public:
  SystemdNotifier(event::Dispatcher& dispatcher, core::Supervisor& supervisor);
  ~SystemdNotifier() override;

  void ready();
  void reloading();
  void stopping();
  // Sends STATUS= when its text changed since the last one sent.
  void updateStatus();
  // A reload that failed, shown after the ready count in every STATUS= until a reload succeeds
  // ("" clears it). Takes effect with the next ready() or updateStatus().
  void setReloadError(const std::string& error);

  // SupervisorListener.
  void onStateChanged(const core::Forward& forward, core::ForwardState previous,
                      const std::string& reason) override;
  void onLogLine(const core::Forward&, const core::LogLine&) override {}

 private:
  void send(const std::string& message);
  std::string statusLine() const;

  event::Dispatcher& dispatcher_;
  core::Supervisor& supervisor_;
  event::TimerPtr watchdog_timer_;
  std::chrono::milliseconds watchdog_interval_{0};
  std::string last_status_;
  std::string reload_error_;
  bool enabled_ = false;
  bool ready_sent_ = false;
};

}  // namespace pfd::app
