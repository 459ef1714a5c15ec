#pragma once

#include "client/commands/command.h"

namespace pfd::client {

// pfctl reload: the daemon reads its config file again and reconciles; prints what changed.
class ReloadCommand : public Command {
 public:
  explicit ReloadCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;
};

}  // namespace pfd::client
