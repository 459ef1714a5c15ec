#pragma once

#include <memory>

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

 protected:
  explicit Command(CLI::App* subcommand) : subcommand_(subcommand) {}

  CLI::App* subcommand_;
};

using CommandPtr = std::unique_ptr<Command>;

}  // namespace pfd::client
