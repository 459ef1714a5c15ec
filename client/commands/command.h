#pragma once

#include <memory>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "client/commands/console.h"
#include "client/connection.h"

namespace pfd::client {

// One pfctl subcommand: it declares its flags on a CLI11 subcommand and, when the user picked it,
// makes its calls and prints the result.
class Command {
 public:
  virtual ~Command() = default;

  bool selected() const { return subcommand_->parsed(); }

  // What the flags cannot express alone (e.g. "names or --all"); an error here is a usage error.
  virtual absl::Status validate() const { return absl::OkStatus(); }

  // A failure's code picks the exit code (see exitCodeFor()).
  virtual absl::Status run(Connection& connection, Console& console) = 0;

  // The exit code after a run() that succeeded, for commands whose answer is the code itself
  // (pfctl check: 1 for a config with errors; status --short: 3 while a forward is down).
  virtual std::optional<int> exitCode() const { return std::nullopt; }

 protected:
  explicit Command(CLI::App* subcommand) : subcommand_(subcommand) {}

  CLI::App* subcommand_;
};

using CommandPtr = std::unique_ptr<Command>;

}  // namespace pfd::client
