#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pfd::config {

// $PFD_SOCKET, else $XDG_RUNTIME_DIR/pfd/pfd.sock, else /tmp/pfd-UID/pfd.sock. Shared by pfd and
// pfctl so that both find the same socket without flags.
std::string defaultSocketPath();

// $XDG_CONFIG_HOME/pfd/forwards.yaml, else ~/.config/pfd/forwards.yaml.
std::string defaultConfigPath();

// Expands a leading "~/" to $HOME.
std::string expandHome(const std::string& path);

// Creates `dir` (and parents) if needed and makes sure it is a directory owned by this user with
// mode 0700, so that nobody else can reach the socket inside it.
absl::Status ensurePrivateDirectory(const std::string& dir);

}  // namespace pfd::config
