#include "client/short_status.h"

#include <string>
#include <string_view>
#include <utility>

#include "daemon/config/socket_path.h"
#include "daemon/config/summary_file.h"

namespace pfd::client {

std::optional<int> runShortStatusFastPath(int argc, const char* const* argv, std::ostream& out) {
  bool status = false;
  bool short_flag = false;
  std::string socket_flag;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--socket" && i + 1 < argc) {
      socket_flag = argv[++i];
    } else if (arg.starts_with("--socket=")) {
      socket_flag = std::string(arg.substr(9));
    } else if (!status && !short_flag && (arg == "status" || arg == "ls")) {
      status = true;
    } else if (status && arg == "--short") {
      short_flag = true;
    } else {
      return std::nullopt;
    }
  }
  if (!status || !short_flag) {
    return std::nullopt;
  }
  // resolveSocketPath() (client/connection.h) without the gRPC it comes with.
  const std::string socket_path =
      socket_flag.empty() ? config::defaultSocketPath() : std::move(socket_flag);
  const config::ShortStatus summary = config::readShortStatus(config::summaryPathFor(socket_path));
  out << summary.line << '\n';
  return summary.exit_code;
}

}  // namespace pfd::client
