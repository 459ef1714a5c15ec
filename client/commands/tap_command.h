#pragma once

#include <cstdint>
#include <string>

#include "client/commands/command.h"

namespace pfd::client {

// pfctl tap NAME [--port LOCAL] [--max-bytes N] [-x|--hex] [--connections]: what flows through
// the forward's held ports from now until Ctrl-C, laid out as `socat -v` (or -x) shows it.
class TapCommand : public Command {
 public:
  explicit TapCommand(CLI::App& app);

  absl::Status validate() const override;
  absl::Status run(Connection& connection, Console& console) override;

 private:
  std::string name_;
  uint16_t port_ = 0;
  uint64_t max_bytes_ = 0;
  bool hex_ = false;
  bool connections_ = false;
};

}  // namespace pfd::client
