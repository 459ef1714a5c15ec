#pragma once

#include <string>
#include <vector>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl watch [NAME...]: the status table, one row per state change with its reason, like
// `kubectl get -w`, until Ctrl-C.
class WatchCommand : public Command {
 public:
  explicit WatchCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;

 private:
  std::vector<std::string> names_;
};

}  // namespace pfd::client
