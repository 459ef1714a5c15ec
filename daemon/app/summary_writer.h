#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/config/summary_file.h"
#include "daemon/core/status_summary.h"
#include "daemon/core/supervisor.h"
#include "daemon/event/dispatcher.h"

namespace pfd::app {

// Keeps SOCKET.summary (config/summary_file.h) current for `pfctl status --short` and shell
// prompts. Changes are coalesced: the first after a quiet spell is written on the next loop turn
// (with everything else that changed in that turn), later ones at most once per `min_interval`,
// so 200 forwards changing state every second cost a few small writes per second, not 200. A
// write replaces the file atomically (a 0600 temporary beside it, then rename), so a reader never
// sees half a line; an unchanged summary is not written again. The file is removed when pfd
// exits cleanly; after a crash its pid tells readers that pfd is gone.
class SummaryWriter : public core::SupervisorListener {
 public:
  static constexpr std::chrono::milliseconds kDefaultMinInterval{250};

  SummaryWriter(event::Dispatcher& dispatcher, std::string path,
                std::function<core::StatusSummary()> summarize,
                std::chrono::milliseconds min_interval = kDefaultMinInterval);
  ~SummaryWriter() override;
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  // Something the summary depends on changed (a state, the forward list).
  void changed();
  // pfd is stopping: says so now, and ignores the forwards' changes from here on.
  void stopping();

  const std::string& path() const { return path_; }
  // Files written so far (for tests of the coalescing).
  size_t writes() const { return writes_; }

  // SupervisorListener.
  void onStateChanged(const core::Forward&, core::ForwardState, const std::string&) override {
    changed();
  }
  void onLogLine(const core::Forward&, const core::LogLine&) override {}

 private:
  void flush();
  void write(const core::StatusSummary& summary);

  event::Dispatcher& dispatcher_;
  std::string path_;
  std::function<core::StatusSummary()> summarize_;
  std::chrono::milliseconds min_interval_;
  event::TimerPtr timer_;
  config::SummaryRecord record_;
  bool written_ = false;  // record_ holds what the file says
  event::MonotonicTime last_write_{};
  bool stopping_ = false;
  bool warned_ = false;
  size_t writes_ = 0;
};

}  // namespace pfd::app
