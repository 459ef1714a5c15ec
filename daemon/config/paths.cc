#include "daemon/config/paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace pfd::config {
namespace {

std::string envOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? std::string(value) : fallback;
}

}  // namespace

std::string pfdRuntimeDirectory() {
  std::string runtime_dir = envOr("XDG_RUNTIME_DIR", "");
  if (!runtime_dir.empty()) {
    return absl::StrCat(runtime_dir, "/pfd");
  }
  return absl::StrCat("/tmp/pfd-", getuid());
}

std::string defaultSocketPath() {
  std::string explicit_path = envOr("PFD_SOCKET", "");
  if (!explicit_path.empty()) {
    return explicit_path;
  }
  return absl::StrCat(pfdRuntimeDirectory(), "/pfd.sock");
}

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

absl::Status prepareSocketDirectory(const std::string& dir) {
  const std::filesystem::path path(dir);
  const bool pfds_own =
      path.lexically_normal() == std::filesystem::path(pfdRuntimeDirectory()).lexically_normal();
  bool created = false;
  struct stat info {};
  if (lstat(dir.c_str(), &info) != 0) {
    std::error_code error;
    if (path.has_parent_path()) {
      std::filesystem::create_directories(path.parent_path(), error);
    }
    if (error || (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot create directory ", dir, ": ", error ? error.message() : std::strerror(errno)));
    }
    created = true;
  }
  // stat, not lstat, for the user's own choice: a symlink to a directory is fine there.
  if ((pfds_own || created ? lstat(dir.c_str(), &info) : stat(dir.c_str(), &info)) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot stat ", dir, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " is not a directory"));
  }
  if (!pfds_own && !created) {
    return absl::OkStatus();
  }
  if (info.st_uid != getuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat(dir, " belongs to uid ", info.st_uid, ", not to you (uid ", getuid(),
                     "); pick another path with --socket or PFD_SOCKET"));
  }
  if ((info.st_mode & 0777) != 0700 && chmod(dir.c_str(), 0700) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot make ", dir, " private (chmod 0700): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace pfd::config
