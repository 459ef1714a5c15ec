#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace pfd::client::fixtures {

// A Unix socket bound at `path`, like the one a dead daemon leaves behind; it accepts connections
// only once listen() is called.
class BoundSocket {
 public:
  explicit BoundSocket(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ =
        fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~BoundSocket() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;

  bool bound() const { return bound_; }
  bool listen() { return ::listen(fd_, 1) == 0; }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

}  // namespace pfd::client::fixtures
