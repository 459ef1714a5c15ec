#include "daemon/app/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace pfd::app {
namespace {

// systemd wants MONOTONIC_USEC with RELOADING=1 (Type=notify-reload); it is CLOCK_MONOTONIC.
uint64_t monotonicMicros() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

// `systemctl status` shows STATUS= on one line of a terminal: enough of the error to see the
// file:line:column and what is wrong there; `pfctl status` and the journal have all of it.
constexpr size_t kMaxReloadErrorBytes = 160;

std::string oneLineSummary(const std::string& error) {
  std::string line = error;
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    }
  }
  if (line.size() <= kMaxReloadErrorBytes) {
    return line;
  }
  size_t cut = kMaxReloadErrorBytes;
  // Never cut a UTF-8 sequence in two: back up to the first byte of the character.
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
    cut--;
  }
  return absl::StrCat(line.substr(0, cut), "…");
}

}  // namespace

SystemdNotifier::SystemdNotifier(event::Dispatcher& dispatcher, core::Supervisor& supervisor)
    : dispatcher_(dispatcher), supervisor_(supervisor) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && socket[0] != '\0';
  uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    // Half the period, as sd_watchdog_enabled(3) advises, so one late turn is not fatal.
    watchdog_interval_ = std::chrono::milliseconds(std::max<uint64_t>(watchdog_usec / 2000, 1));
    watchdog_timer_ = dispatcher_.createTimer([this] {
      send("WATCHDOG=1");
      watchdog_timer_->enable(watchdog_interval_);
    });
    watchdog_timer_->enable(watchdog_interval_);
  }
  supervisor_.addListener(this);
}

SystemdNotifier::~SystemdNotifier() { supervisor_.removeListener(this); }

void SystemdNotifier::ready() {
  ready_sent_ = true;
  last_status_ = statusLine();
  send(absl::StrCat("READY=1\nSTATUS=", last_status_));
}

void SystemdNotifier::reloading() {
  send(absl::StrCat("RELOADING=1\nMONOTONIC_USEC=", monotonicMicros()));
}

void SystemdNotifier::stopping() {
  if (watchdog_timer_ != nullptr) {
    // Stopping can take the children's grace period; keep petting the watchdog meanwhile.
    send("WATCHDOG=1");
  }
  send("STOPPING=1");
}

void SystemdNotifier::updateStatus() {
  if (!ready_sent_) {
    return;  // READY=1 carries the first STATUS=
  }
  std::string status = statusLine();
  if (status != last_status_) {
    last_status_ = status;
    send(absl::StrCat("STATUS=", status));
  }
}

void SystemdNotifier::onStateChanged(const core::Forward&, core::ForwardState, const std::string&) {
  updateStatus();
}

void SystemdNotifier::setReloadError(const std::string& error) {
  reload_error_ = error.empty() ? "" : oneLineSummary(error);
}

std::string SystemdNotifier::statusLine() const {
  size_t ready = 0;
  size_t idle = 0;
  size_t total = 0;
  for (const core::Forward* forward : supervisor_.forwards()) {
    total++;
    ready += forward->state() == core::ForwardState::kReady ? 1 : 0;
    idle += forward->state() == core::ForwardState::kIdle ? 1 : 0;
  }
  // IDLE (start: onDemand, waiting for a first connection) is as healthy as READY.
  std::string line = idle == 0
                         ? absl::StrCat(ready, "/", total, " forwards ready")
                         : absl::StrCat(ready, " ready, ", idle, " idle of ", total, " forwards");
  if (!reload_error_.empty()) {
    absl::StrAppend(&line, "; reload failed: ", reload_error_);
  }
  return line;
}

void SystemdNotifier::send(const std::string& message) {
  if (!enabled_) {
    return;
  }
  int result = sd_notify(0, message.c_str());
  if (result < 0) {
    spdlog::warn("sd_notify({}) failed: {}", message, result);
  }
}

}  // namespace pfd::app
