#pragma once

#include <string>
#include <vector>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl status [NAME...] [-o table|wide|json]
class StatusCommand : public Command {
 public:
  explicit StatusCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;

 private:
  std::vector<std::string> names_;
  std::string output_ = "table";
};

}  // namespace pfd::client
