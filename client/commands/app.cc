#include "client/commands/app.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "client/commands/check_command.h"
#include "client/commands/command.h"
#include "client/commands/describe_command.h"
#include "client/commands/forward_action_command.h"
#include "client/commands/logs_command.h"
#include "client/commands/reload_command.h"
#include "client/commands/status_command.h"
#include "client/commands/tap_command.h"
#include "client/commands/version_command.h"
#include "client/commands/watch_command.h"
#include "client/connection.h"
#include "client/render/terminal.h"

namespace pfd::client {
namespace {

constexpr char kFooter[] =
    R"(Socket: --socket, else $PFD_SOCKET, else $XDG_RUNTIME_DIR/pfd/pfd.sock, else
/tmp/pfd-UID/pfd.sock (the same rule pfd follows).

Exit codes:
  0   success
  1   pfd refused the request (e.g. an unknown forward name, a config that does not load);
      the reason is printed as "error: <message>"
  2   pfd is not running or cannot be reached at the socket (one line says why)
  3   status --short: a forward that should run is not READY or IDLE, or pfd is not running
  64  bad command line (unknown flag, missing argument)

Colour: STATE is coloured only when stdout is a terminal and NO_COLOR is not set.)";

constexpr char kRunWithHelp[] = "Run with --help for more information.\n";

// The word where a command should be, when it names none of them: CLI11 would only say that a
// subcommand is required.
std::optional<std::string> unknownCommand(const CLI::App& app, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--socket") {
      ++i;  // its value
      continue;
    }
    if (arg.starts_with("-")) {
      continue;
    }
    for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (command->check_name(std::string(arg))) {
        return std::nullopt;
      }
    }
    return std::string(arg);
  }
  return std::nullopt;
}

}  // namespace

int runPfctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err, int out_fd) {
  CLI::App app("pfctl controls pfd, the kubectl port-forward supervisor.", "pfctl");
  app.footer(kFooter);
  app.require_subcommand(1);
  // Global flags (--socket) may also follow the subcommand.
  app.fallthrough();
  std::string socket_flag;
  app.add_option("--socket", socket_flag, "pfd's control socket");

  std::vector<CommandPtr> commands;
  commands.push_back(std::make_unique<StatusCommand>(app));
  commands.push_back(std::make_unique<ForwardActionCommand>(app, ForwardAction::kRestart));
  commands.push_back(std::make_unique<ForwardActionCommand>(app, ForwardAction::kStop));
  commands.push_back(std::make_unique<ForwardActionCommand>(app, ForwardAction::kStart));
  commands.push_back(std::make_unique<LogsCommand>(app));
  commands.push_back(std::make_unique<WatchCommand>(app));
  commands.push_back(std::make_unique<DescribeCommand>(app));
  commands.push_back(std::make_unique<TapCommand>(app));
  commands.push_back(std::make_unique<ReloadCommand>(app));
  commands.push_back(std::make_unique<VersionCommand>(app));
  commands.push_back(std::make_unique<CheckCommand>(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (std::optional<std::string> unknown = unknownCommand(app, argc, argv);
        unknown.has_value() && error.get_exit_code() != 0) {
      std::vector<std::string> names;
      for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(command->get_name());
      }
      err << "pfctl: unknown command \"" << *unknown
          << "\"; commands: " << absl::StrJoin(names, ", ") << '\n'
          << kRunWithHelp;
      return kExitUsage;
    }
    // --help is a "parse error" with exit code 0; every real one is a usage error.
    return app.exit(error, out, err) == 0 ? kExitOk : kExitUsage;
  }

  Command* selected = nullptr;
  for (const CommandPtr& command : commands) {
    if (command->selected()) {
      selected = command.get();
    }
  }
  if (selected == nullptr) {
    // require_subcommand(1) makes this unreachable; stay safe anyway.
    err << "pfctl: name a command\n" << kRunWithHelp;
    return kExitUsage;
  }
  if (absl::Status valid = selected->validate(); !valid.ok()) {
    err << valid.message() << '\n' << kRunWithHelp;
    return kExitUsage;
  }

  Connection connection(resolveSocketPath(socket_flag));
  Console console{out, err, detectTableStyle(out_fd), out_fd};
  const absl::Status status = selected->run(connection, console);
  out.flush();
  printFailure(status, err);
  if (std::optional<int> code = selected->exitCode(); status.ok() && code.has_value()) {
    return *code;
  }
  return exitCodeFor(status);
}

}  // namespace pfd::client
