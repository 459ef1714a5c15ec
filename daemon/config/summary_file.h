#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pfd::config {

// The one-line summary pfd keeps beside its control socket (SOCKET.summary) for prompts and
// status bars, which read it without talking to pfd. Two lines:
//   pfd: 12/13 ready, web down
//   pid=4242 start=123456 exit=3
// The first is what a prompt shows; the second says who wrote it (pid, and the process's start
// time in clock ticks since boot, field 22 of /proc/PID/stat, so a recycled pid is not taken for
// pfd) and what `pfctl status --short` exits with (0: every enabled forward READY or IDLE).
struct SummaryRecord {
  std::string line;
  pid_t pid = 0;
  uint64_t start_time = 0;
  int exit_code = 0;
};

std::string summaryPathFor(const std::string& socket_path);

std::string formatSummaryFile(const SummaryRecord& record);
// nullopt for anything but the two lines formatSummaryFile() writes.
std::optional<SummaryRecord> parseSummaryFile(std::string_view text);

// Field 22 of /proc/PID/stat (the start time in clock ticks since boot); nullopt when the process
// does not exist (or /proc cannot say).
std::optional<uint64_t> processStartTime(pid_t pid);

// What `pfctl status --short` prints and exits with, read from the file at `path`: its line while
// the pfd that wrote it still runs, else "pfd: not running" with exit code 3.
struct ShortStatus {
  std::string line;
  int exit_code = 0;
};
ShortStatus readShortStatus(const std::string& path);

}  // namespace pfd::config
