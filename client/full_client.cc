#include "client/full_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#ifndef PFCTL_RPC_RELATIVE_DIR
#error "PFCTL_RPC_RELATIVE_DIR must say where pfctl-rpc is installed relative to pfctl"
#endif
#ifndef PFCTL_RPC_INSTALLED_PATH
#error "PFCTL_RPC_INSTALLED_PATH must say where pfctl-rpc is installed"
#endif

namespace pfd::client {
namespace {

constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;

std::optional<std::string> thisProgram() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return std::nullopt;
  }
  return self.string();
}

}  // namespace

std::vector<std::string> fullClientCandidates(std::optional<std::string_view> front_path) {
  std::vector<std::string> candidates;
  if (front_path.has_value()) {
    const std::filesystem::path directory = std::filesystem::path(*front_path).parent_path();
    candidates.push_back((directory / kFullClientName).string());
    candidates.push_back(
        (directory / PFCTL_RPC_RELATIVE_DIR / kFullClientName).lexically_normal().string());
  }
  const std::string installed = PFCTL_RPC_INSTALLED_PATH;
  if (std::find(candidates.begin(), candidates.end(), installed) == candidates.end()) {
    candidates.push_back(installed);
  }
  return candidates;
}

ExecFailure execFullClient(char* const* argv) {
  const std::optional<std::string> self = thisProgram();
  const std::vector<std::string> candidates = fullClientCandidates(self);
  // The installation's own place is the one to name when nothing is found: beside the front is
  // only where a build tree has it.
  std::string reported = candidates.size() > 1 ? candidates[1] : candidates[0];
  int reported_error = ENOENT;
  for (const std::string& candidate : candidates) {
    execv(candidate.c_str(), argv);
    // A file that is there but cannot run says more than the places where nothing is.
    if (errno != ENOENT && errno != ENOTDIR && reported_error == ENOENT) {
      reported = candidate;
      reported_error = errno;
    }
  }
  return ExecFailure{
      .message = "pfctl: cannot run " + reported + ": " + std::strerror(reported_error) +
                 "; pfctl runs every command but 'status --short' through it, and it is installed "
                 "with pfd: reinstall pfd (or build the pfctl-rpc target)",
      .exit_code = reported_error == ENOENT ? kExitNotFound : kExitCannotExecute};
}

}  // namespace pfd::client
