#pragma once

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace pfd::testing {

// Watches a process that need not be our child through a pidfd, so that a test waits for its end
// as an event (the pidfd becomes readable) rather than by polling in a sleep loop. Open it while
// the process is known to be alive, so that its pid cannot have been reused.
class PidWatch {
 public:
  // glibc 2.36's <sys/pidfd.h> lacks extern "C", so the system call is made directly.
  explicit PidWatch(pid_t pid)
      : fd_(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))),
        already_gone_(fd_ < 0 && errno == ESRCH) {}
  ~PidWatch() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  PidWatch(const PidWatch&) = delete;
  PidWatch& operator=(const PidWatch&) = delete;

  bool valid() const { return fd_ >= 0 || already_gone_; }

  // True once the process has exited (a zombie counts), false if it is still running after
  // `timeout`.
  bool waitForExit(std::chrono::milliseconds timeout) const {
    if (already_gone_) {
      return true;
    }
    pollfd entry{.fd = fd_, .events = POLLIN, .revents = 0};
    int ready;
    do {
      ready = poll(&entry, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    return ready == 1;
  }

 private:
  int fd_;
  bool already_gone_;
};

}  // namespace pfd::testing
