#pragma once

#include <optional>
#include <string>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl check FILE: loads and validates a config file here, asking nothing of the daemon (the
// same loader and report as `pfd --check`), for editors, pre-commit hooks and CI.
class CheckCommand : public Command {
 public:
  explicit CheckCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;
  std::optional<int> exitCode() const override { return exit_code_; }

 private:
  std::string path_;
  std::optional<int> exit_code_;
};

}  // namespace pfd::client
