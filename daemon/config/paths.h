#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/config/socket_path.h"  // defaultSocketPath(), pfdRuntimeDirectory()

namespace pfd::config {

// $XDG_CONFIG_HOME/pfd/forwards.yaml, else ~/.config/pfd/forwards.yaml.
std::string defaultConfigPath();

// Expands a leading "~/" to $HOME.
std::string expandHome(const std::string& path);

// Whether a directory that already exists may hold pfd's control socket and its lock, served to
// user `me`: it must belong to `me` or root, and no one else may write to it, or another user
// could replace the socket (and talk to pfctl as if it were pfd) or plant the lock file. A sticky
// directory such as /tmp is refused too: there anyone can take the socket's or the lock's name
// first. PermissionDenied saying how to fix it otherwise.
absl::Status checkSocketDirectory(const std::string& dir, uid_t owner, mode_t mode, uid_t me);

// Makes `dir` ready to hold the control socket (which is itself 0600). Directories pfd creates
// (`dir` and missing parents) are 0700. pfd's own runtime directory must belong to this user (in
// /tmp someone else could have made it first) and is made 0700 again if it is not. A directory
// that already existed and was chosen with --socket or PFD_SOCKET is the user's: pfd leaves its
// mode alone, and refuses it when checkSocketDirectory() does.
absl::Status prepareSocketDirectory(const std::string& dir);

}  // namespace pfd::config
