#pragma once

#include <string>
#include <vector>

#include "client/commands/command.h"

namespace pfd::client {

enum class ForwardAction { kRestart, kStop, kStart };

// pfctl restart|stop|start NAME...|--all: one line per affected forward ("web restarted").
class ForwardActionCommand : public Command {
 public:
  ForwardActionCommand(CLI::App& app, ForwardAction action);

  absl::Status validate() const override;
  absl::Status run(Connection& connection, Console& console) override;

 private:
  ForwardAction action_;
  std::vector<std::string> names_;
  bool all_ = false;
};

}  // namespace pfd::client
