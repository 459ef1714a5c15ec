#pragma once

#include <optional>
#include <ostream>

namespace pfd::client {

// `pfctl [--socket PATH] status --short [--socket PATH]` recognised before the command-line parser
// is built, since a shell prompt runs it on every command: prints the summary pfd keeps beside
// its socket and returns the exit code. nullopt for any other command line (including --help
// and mistakes), which the full client (pfctl-rpc) then handles. pfctl's front runs it, so it
// uses the standard library only (no absl, gRPC or CLI11).
std::optional<int> runShortStatusFastPath(int argc, const char* const* argv, std::ostream& out);

}  // namespace pfd::client
