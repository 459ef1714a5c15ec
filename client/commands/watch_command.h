#pragma once

#include <string>
#include <vector>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl watch [NAME...]: on a terminal, a live full-screen table (live_watch.h); piped, with
// --events or -o json, one line per state change with its reason, like `kubectl get -w`, until
// Ctrl-C.
class WatchCommand : public Command {
 public:
  explicit WatchCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;

 private:
  absl::Status printEvents(Connection& connection, Console& console) const;

  std::vector<std::string> names_;
  bool events_ = false;
  std::string output_ = "table";
};

}  // namespace pfd::client
