#include "daemon/app/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "daemon/config/paths.h"

namespace pfd::app {

absl::StatusOr<InstanceLockPtr> InstanceLock::acquire(const std::string& socket_path) {
  // sockaddr_un::sun_path holds 108 bytes including the terminating NUL.
  if (socket_path.size() > 107) {
    return absl::InvalidArgumentError(absl::StrCat(
        "socket path ", socket_path, " is ", socket_path.size(),
        " bytes long; Unix sockets allow 107. Choose a shorter --socket or PFD_SOCKET"));
  }
  const std::string directory = std::filesystem::path(socket_path).parent_path().string();
  if (absl::Status status = config::prepareSocketDirectory(directory.empty() ? "." : directory);
      !status.ok()) {
    return status;
  }
  const std::string lock_path = socket_path + ".lock";
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open lock file ", lock_path, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char buffer[32] = {};
    ssize_t length = pread(fd, buffer, sizeof(buffer) - 1, 0);
    close(fd);
    if (error == EWOULDBLOCK) {
      std::string pid = length > 0 ? std::string(absl::StripAsciiWhitespace(buffer)) : "?";
      return absl::FailedPreconditionError(absl::StrCat(
          "pfd is already running (pid ", pid, ") on ", socket_path,
          "; stop it first (pfctl or kill ", pid, "), or give this one another --socket"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(error)));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only a hint for the message above; the lock itself is what counts.
  }
  // We hold the lock, so whatever socket file is there belongs to a pfd that is gone.
  struct stat info {};
  if (lstat(socket_path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) {
      close(fd);
      return absl::FailedPreconditionError(absl::StrCat(
          socket_path, " exists and is not a socket; remove it or choose another --socket"));
    }
    unlink(socket_path.c_str());
  }
  return InstanceLockPtr(new InstanceLock(fd, socket_path));
}

InstanceLock::~InstanceLock() {
  unlink(socket_path_.c_str());
  close(fd_);
}

}  // namespace pfd::app
