#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace pfd::app {

class InstanceLock;
using InstanceLockPtr = std::unique_ptr<InstanceLock>;

// One daemon per socket (Watchman's ProcessLock): an flock on SOCKET.lock held for the daemon's
// life. The kernel drops it when the daemon dies however it dies, so a socket file left by a dead
// pfd is recognised as stale and replaced, while a live one makes a second pfd refuse to start.
class InstanceLock {
 public:
  // Creates the socket's directory (0700, ours), takes the lock and removes a stale socket file.
  // FailedPrecondition naming the running pid when another pfd holds the lock.
  static absl::StatusOr<InstanceLockPtr> acquire(const std::string& socket_path);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  InstanceLock(int fd, std::string socket_path) : fd_(fd), socket_path_(std::move(socket_path)) {}

  int fd_;
  std::string socket_path_;
};

}  // namespace pfd::app
