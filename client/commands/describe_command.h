#pragma once

#include <string>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl describe NAME [-o text|json]: one forward in full, with its last events.
class DescribeCommand : public Command {
 public:
  explicit DescribeCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;

 private:
  std::string name_;
  std::string output_ = "text";
};

}  // namespace pfd::client
