#pragma once

#include <cstdint>
#include <string>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl logs NAME [-f] [--tail N] [--timestamps]: the forward's kept output (stdout, stderr and
// pfd's own notes, all on stdout like kubectl logs), then with -f every new line until Ctrl-C.
class LogsCommand : public Command {
 public:
  explicit LogsCommand(CLI::App& app);

  absl::Status run(Connection& connection, Console& console) override;

 private:
  std::string name_;
  bool follow_ = false;
  uint32_t tail_ = 0;
  bool timestamps_ = false;
};

}  // namespace pfd::client
