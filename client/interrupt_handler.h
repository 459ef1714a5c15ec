#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace pfd::client {

// Calls `on_interrupt` once SIGINT or SIGTERM arrives, so that a command blocked in a streaming
// read can cancel its call and exit cleanly. ClientContext::TryCancel() is not
// async-signal-safe, so the signal handler only writes a byte to a pipe and a thread of ours
// makes the call. After the first signal the previous handlers are back: a second Ctrl-C kills
// pfctl even if the daemon never lets go. One instance at a time.
class InterruptHandler {
 public:
  explicit InterruptHandler(std::function<void()> on_interrupt);
  ~InterruptHandler();

  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

  // Whether a signal arrived (and `on_interrupt` ran or is running).
  bool interrupted() const { return interrupted_.load(); }

 private:
  void waitForSignals();
  void restorePreviousHandlers();

  std::function<void()> on_interrupt_;
  std::atomic<bool> interrupted_{false};
  int read_fd_ = -1;
  int write_fd_ = -1;
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
  std::thread thread_;
};

}  // namespace pfd::client
