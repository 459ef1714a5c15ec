#include "daemon/app/summary_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "spdlog/spdlog.h"

namespace pfd::app {
namespace {

constexpr int kExitNotReady = 3;  // pfctl status --short while a forward is down

}  // namespace

SummaryWriter::SummaryWriter(event::Dispatcher& dispatcher, std::string path,
                             std::function<core::StatusSummary()> summarize,
                             std::chrono::milliseconds min_interval)
    : dispatcher_(dispatcher),
      path_(std::move(path)),
      summarize_(std::move(summarize)),
      min_interval_(min_interval),
      timer_(dispatcher_.createTimer([this] { flush(); })) {
  record_.pid = getpid();
  record_.start_time = config::processStartTime(record_.pid).value_or(0);
}

SummaryWriter::~SummaryWriter() {
  timer_->disable();
  if (written_) {
    ::unlink(path_.c_str());
  }
}

void SummaryWriter::changed() {
  if (stopping_ || timer_->enabled()) {
    return;  // the write already due covers this change too
  }
  const auto since = dispatcher_.monotonicTime() - last_write_;
  const auto wait = writes_ == 0 || since >= min_interval_
                        ? std::chrono::milliseconds(0)
                        : std::chrono::ceil<std::chrono::milliseconds>(min_interval_ - since);
  timer_->enable(wait);
}

void SummaryWriter::stopping() {
  stopping_ = true;
  timer_->disable();
  write({.line = "pfd: stopping", .healthy = false});
}

void SummaryWriter::flush() {
  if (!stopping_) {
    write(summarize_());
  }
}

void SummaryWriter::write(const core::StatusSummary& summary) {
  const int exit_code = summary.healthy ? 0 : kExitNotReady;
  if (written_ && summary.line == record_.line && exit_code == record_.exit_code) {
    return;
  }
  config::SummaryRecord record = record_;
  record.line = summary.line;
  record.exit_code = exit_code;
  last_write_ = dispatcher_.monotonicTime();
  // A small write on the loop: the file lives in pfd's runtime directory (tmpfs, typically) and is
  // written a few times a second at most.
  const std::string text = config::formatSummaryFile(record);
  const std::string temporary = path_ + ".tmp";
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool ok = fd >= 0;
  int error = ok ? 0 : errno;
  if (ok) {
    ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    error = ok ? 0 : errno;
    ok = ::close(fd) == 0 && ok;
    ok = ok && ::rename(temporary.c_str(), path_.c_str()) == 0;
    error = ok ? 0 : (error != 0 ? error : errno);
  }
  if (!ok) {
    ::unlink(temporary.c_str());
    if (!warned_) {
      warned_ = true;
      spdlog::warn(
          "cannot write the status summary {}: {}; `pfctl status --short` and prompts "
          "that read it will say pfd is not running",
          path_, std::strerror(error));
    }
    return;
  }
  spdlog::debug("status summary: {}", record.line);
  record_ = std::move(record);
  written_ = true;
  writes_++;
}

}  // namespace pfd::app
