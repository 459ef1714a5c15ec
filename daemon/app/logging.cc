#include "daemon/app/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace pfd::app {
namespace {

// "<6>" for info and so on: sd-daemon(3)'s prefixes, which journald turns into priorities.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& destination) override {
    const char* prefix = "<6>";
    switch (message.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        prefix = "<7>";
        break;
      case spdlog::level::info:
        prefix = "<6>";
        break;
      case spdlog::level::warn:
        prefix = "<4>";
        break;
      case spdlog::level::err:
        prefix = "<3>";
        break;
      case spdlog::level::critical:
        prefix = "<2>";
        break;
      default:
        break;
    }
    destination.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

}  // namespace

bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) {
    return false;
  }
  std::vector<std::string> parts = absl::StrSplit(stream, ':');
  unsigned long long device = 0;
  unsigned long long inode = 0;
  struct stat info {};
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], &device) &&
         absl::SimpleAtoi(parts[1], &inode) && fstat(STDERR_FILENO, &info) == 0 &&
         info.st_dev == device && info.st_ino == inode;
}

absl::Status configureLogging(const std::string& level) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log-level: unknown level \"", level,
                     "\"; use trace, debug, info, warn, error, critical or off"));
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("pfd", sink);
  if (stderrIsJournal()) {
    sink->set_color_mode(spdlog::color_mode::never);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
    logger->set_formatter(std::move(formatter));
  } else {
    // https://no-color.org: only a non-empty NO_COLOR turns colour off, as in pfctl.
    const char* no_color = std::getenv("NO_COLOR");
    const bool colour = no_color == nullptr || no_color[0] == '\0';
    sink->set_color_mode(colour ? spdlog::color_mode::automatic : spdlog::color_mode::never);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace pfd::app
