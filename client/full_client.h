#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pfd::client {

// pfctl is two programs. `pfctl`, the front, answers `status --short` (which a shell prompt runs
// on every command) with libc and libstdc++ only; everything else is the full client, pfctl-rpc,
// which loads gRPC, protobuf, abseil and CLI11 (about 57 shared libraries, 20 ms before main()).
// The front execs it with the command line unchanged.
inline constexpr std::string_view kFullClientName = "pfctl-rpc";

// Where the front at `front_path` (nullopt: unknown, /proc is not mounted) looks for pfctl-rpc,
// in order: beside it (the build tree), in the libexec directory of the installation it belongs
// to (bin/../libexec/pfd by default, so that an install under any prefix works), and the
// installed path compiled in.
std::vector<std::string> fullClientCandidates(std::optional<std::string_view> front_path);

// Why no candidate could run: one line for stderr, and the exit code (127: not found, 126: found
// but not executable, as env(1) and shells say).
struct ExecFailure {
  std::string message;
  int exit_code = 127;
};

// Replaces this process with pfctl-rpc, `argv` unchanged (argv[0] stays "pfctl", so usage and
// errors still name pfctl). Returns only when no candidate could be executed.
ExecFailure execFullClient(char* const* argv);

}  // namespace pfd::client
