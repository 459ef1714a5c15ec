#include "daemon/config/summary_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>

namespace pfd::config {
namespace {

constexpr int kExitNotReady = 3;

// The whole of a small file with plain syscalls: this runs in every shell prompt, so no streams
// and no allocation beyond the result.
std::optional<std::string> readSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return std::nullopt;
  }
  std::array<char, 4096> buffer{};
  std::string text;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (got == 0) {
      break;
    }
    text.append(buffer.data(), static_cast<size_t>(got));
  }
  ::close(fd);
  return text;
}

template <typename Number>
bool parseField(std::string_view text, std::string_view key, Number& out) {
  const size_t at = text.find(key);
  if (at == std::string_view::npos) {
    return false;
  }
  const char* begin = text.data() + at + key.size();
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(begin, end, out);
  return error == std::errc() && stop != begin && (stop == end || *stop == ' ');
}

}  // namespace

std::string summaryPathFor(const std::string& socket_path) { return socket_path + ".summary"; }

std::string formatSummaryFile(const SummaryRecord& record) {
  return record.line + "\npid=" + std::to_string(record.pid) +
         " start=" + std::to_string(record.start_time) +
         " exit=" + std::to_string(record.exit_code) + "\n";
}

std::optional<SummaryRecord> parseSummaryFile(std::string_view text) {
  const size_t newline = text.find('\n');
  if (newline == std::string_view::npos || newline == 0) {
    return std::nullopt;
  }
  SummaryRecord record{.line = std::string(text.substr(0, newline))};
  std::string_view rest = text.substr(newline + 1);
  if (const size_t end = rest.find('\n'); end != std::string_view::npos) {
    rest = rest.substr(0, end);
  }
  if (!rest.starts_with("pid=") || !parseField(rest, "pid=", record.pid) ||
      !parseField(rest, " start=", record.start_time) ||
      !parseField(rest, " exit=", record.exit_code) || record.pid <= 0) {
    return std::nullopt;
  }
  return record;
}

std::optional<uint64_t> processStartTime(pid_t pid) {
  std::optional<std::string> stat = readSmallFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.has_value()) {
    return std::nullopt;
  }
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so count from the last ')'.
  // STATE is field 3; the start time is field 22.
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) {
    return std::nullopt;
  }
  std::string_view fields = std::string_view(*stat).substr(paren + 1);
  for (int field = 2; field < 22; ++field) {
    const size_t space = fields.find(' ');
    if (space == std::string_view::npos) {
      return std::nullopt;
    }
    fields = fields.substr(space + 1);
  }
  uint64_t start = 0;
  auto [stop, error] = std::from_chars(fields.data(), fields.data() + fields.size(), start);
  if (error != std::errc() || stop == fields.data()) {
    return std::nullopt;
  }
  return start;
}

ShortStatus readShortStatus(const std::string& path) {
  const ShortStatus not_running{.line = "pfd: not running", .exit_code = kExitNotReady};
  std::optional<std::string> text = readSmallFile(path);
  if (!text.has_value()) {
    return not_running;
  }
  std::optional<SummaryRecord> record = parseSummaryFile(*text);
  if (!record.has_value()) {
    return not_running;
  }
  // The pfd that wrote it may have been killed (SIGKILL leaves the file): a pid that is gone, or
  // now names a process started at another time, is not that pfd.
  if (processStartTime(record->pid) != record->start_time) {
    return not_running;
  }
  return {.line = record->line, .exit_code = record->exit_code};
}

}  // namespace pfd::config
