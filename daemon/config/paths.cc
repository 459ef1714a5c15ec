#include "daemon/config/paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pfd::config {
namespace {

std::string envOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? std::string(value) : fallback;
}

// mkdir -p, but every directory it creates is 0700 from the start (the parents too: they are
// pfd's, and nothing of theirs needs to be shared).
absl::Status createPrivateDirectories(const std::filesystem::path& path) {
  std::filesystem::path partial;
  for (const std::filesystem::path& part : path) {
    partial /= part;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(absl::StrCat("cannot create the socket directory ",
                                                      partial.string(), ": ", std::strerror(errno),
                                                      "; choose another --socket or PFD_SOCKET"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string defaultConfigPath() {
  std::string config_home = envOr("XDG_CONFIG_HOME", "");
  if (config_home.empty()) {
    config_home = absl::StrCat(envOr("HOME", "/"), "/.config");
  }
  return absl::StrCat(config_home, "/pfd/forwards.yaml");
}

std::string expandHome(const std::string& path) {
  if (path == "~" || path.starts_with("~/")) {
    return absl::StrCat(envOr("HOME", ""), path.substr(1));
  }
  return path;
}

absl::Status checkSocketDirectory(const std::string& dir, uid_t owner, mode_t mode, uid_t me) {
  const std::string own_directory_hint = absl::StrCat(
      "choose a directory of your own with --socket or PFD_SOCKET (pfd creates a missing one "
      "private, e.g. --socket /tmp/pfd-",
      me, "/pfd.sock)");
  if (owner != me && owner != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the socket directory ", dir, " belongs to uid ", owner, ", neither to you (uid ", me,
        ") nor to root, so its owner could replace pfd's socket; ", own_directory_hint));
  }
  if ((mode & (S_IWGRP | S_IWOTH)) != 0) {
    const std::string mode_text = absl::StrFormat("%04o", mode & 07777);
    const bool sticky = (mode & S_ISVTX) != 0;
    // chmod is the fix only for a directory of the user's own that is not shared on purpose.
    const bool chmod_fixes_it = owner == me && !sticky;
    return absl::PermissionDeniedError(absl::StrCat(
        "the socket directory ", dir, " can be written by other users (mode ", mode_text,
        "), so they could replace pfd's socket or plant its lock file",
        sticky ? " (the sticky bit does not prevent that)" : "", "; ",
        chmod_fixes_it
            ? absl::StrCat("make it private with 'chmod go-w ", dir, "', or ", own_directory_hint)
            : own_directory_hint));
  }
  return absl::OkStatus();
}

absl::Status prepareSocketDirectory(const std::string& dir) {
  const std::filesystem::path path(dir);
  const bool pfds_own =
      path.lexically_normal() == std::filesystem::path(pfdRuntimeDirectory()).lexically_normal();
  const uid_t me = geteuid();
  bool created = false;
  struct stat info {};
  if (lstat(dir.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      return absl::PermissionDeniedError(absl::StrCat("cannot inspect the socket directory ", dir,
                                                      ": ", std::strerror(errno),
                                                      "; choose another --socket or PFD_SOCKET"));
    }
    if (absl::Status status = createPrivateDirectories(path); !status.ok()) {
      return status;
    }
    created = true;
  }
  // stat, not lstat, for the user's own choice: a symlink to a directory is fine there.
  if ((pfds_own || created ? lstat(dir.c_str(), &info) : stat(dir.c_str(), &info)) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot stat ", dir, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is not a directory, so it cannot hold the control socket; choose another --socket"));
  }
  if (!pfds_own && !created) {
    return checkSocketDirectory(dir, info.st_uid, info.st_mode, me);
  }
  // Someone else may have made it first (in /tmp anyone can), between our lstat and mkdir.
  if (info.st_uid != me) {
    return absl::PermissionDeniedError(
        absl::StrCat(dir, " belongs to uid ", info.st_uid, ", not to you (uid ", me,
                     "); pick another path with --socket or PFD_SOCKET"));
  }
  if ((info.st_mode & 07777) != 0700 && chmod(dir.c_str(), 0700) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot make ", dir, " private (chmod 0700): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace pfd::config
