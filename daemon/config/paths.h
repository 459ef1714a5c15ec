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

// The directory of the default socket: $XDG_RUNTIME_DIR/pfd, else /tmp/pfd-UID.
std::string pfdRuntimeDirectory();

// Makes `dir` ready to hold the control socket (which is itself 0600). A directory pfd creates is
// 0700; so is pfd's own runtime directory, which must also belong to this user (in /tmp someone
// else could have made it first). A directory that already existed and was chosen with --socket
// or PFD_SOCKET is the user's: pfd leaves its mode alone.
absl::Status prepareSocketDirectory(const std::string& dir);

}  // namespace pfd::config
