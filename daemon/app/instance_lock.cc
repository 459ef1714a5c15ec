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
namespace {

std::string describeFile(const struct stat& info) {
  const char* kind = S_ISREG(info.st_mode)    ? "a regular file"
                     : S_ISDIR(info.st_mode)  ? "a directory"
                     : S_ISFIFO(info.st_mode) ? "a FIFO"
                     : S_ISSOCK(info.st_mode) ? "a socket"
                                              : "a special file";
  return absl::StrCat(kind, " of uid ", info.st_uid, " with ", info.st_nlink, " link",
                      info.st_nlink == 1 ? "" : "s");
}

}  // namespace

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
  // O_NOFOLLOW: a symbolic link planted at the lock's name must not make pfd open, lock and write
  // to whatever it points at.
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) {
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the lock file ", lock_path,
          " is a symbolic link, which pfd does not follow (it would write to what the link points "
          "at); remove the link (rm ",
          lock_path, ") or choose another --socket"));
    }
    return absl::PermissionDeniedError(absl::StrCat("cannot open lock file ", lock_path, ": ",
                                                    std::strerror(errno),
                                                    "; remove it or choose another --socket"));
  }
  // The pid is written into it below: a hard link to another file, or a file that is not ours,
  // is refused before a byte is written.
  struct stat lock_info {};
  if (fstat(fd, &lock_info) != 0 || !S_ISREG(lock_info.st_mode) || lock_info.st_uid != geteuid() ||
      lock_info.st_nlink != 1) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("the lock file ", lock_path, " is not a regular file of yours with one link (",
                     describeFile(lock_info), "), so pfd will not write to it; remove it (rm ",
                     lock_path, ") or choose another --socket"));
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
  if (pwrite(fd, pid.data(), pid.size(), 0) < 0 ||
      ftruncate(fd, static_cast<off_t>(pid.size())) != 0) {
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
