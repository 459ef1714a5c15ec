#include "client/commands/check_command.h"

#include "daemon/config/check_report.h"
#include "daemon/config/config_loader.h"

namespace pfd::client {

CheckCommand::CheckCommand(CLI::App& app)
    : Command(app.add_subcommand(
          "check",
          "Validate a config file without pfd: print every error (or \"FILE: N forwards, OK\"); "
          "exit 0 when it loads, 1 otherwise")) {
  subcommand_->add_option("file", path_, "The config file (YAML)")->required();
}

absl::Status CheckCommand::run(Connection& /*connection*/, Console& console) {
  exit_code_ =
      config::reportConfigCheck(config::checkConfigFile(path_), path_, console.out, console.err);
  return absl::OkStatus();
}

}  // namespace pfd::client
