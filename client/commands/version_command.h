#pragma once

#include "client/commands/command.h"

namespace pfd::client {

// pfctl version: this pfctl's version and the running daemon's.
class VersionCommand : public Command {
 public:
  explicit VersionCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;
};

}  // namespace pfd::client
