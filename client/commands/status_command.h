#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl status [NAME...] [-o table|wide|json], and pfctl status --short (the daemon's one-line
// summary file, read without a gRPC channel: cheap enough for a shell prompt).
class StatusCommand : public Command {
 public:
  explicit StatusCommand(CLI::App& app);

  absl::Status validate() const override;
  absl::Status run(Connection& connection, Console& console) override;
  std::optional<int> exitCode() const override { return exit_code_; }

 private:
  bool short_ = false;
  std::optional<int> exit_code_;
  std::vector<std::string> names_;
  std::string output_ = "table";
};

}  // namespace pfd::client
