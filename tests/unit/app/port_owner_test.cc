// Who holds a local port: what "local port 8080 is already in use by pid 4242 (python3)" names.
#include "daemon/app/port_owner.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pfd::app {
namespace {

// A listening TCP socket on 127.0.0.1 and a free port chosen by the kernel.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string ownCommandName() {
  std::ifstream in("/proc/self/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

TEST(PortOwnerTest, NamesTheProcessListeningOnThePort) {
  Listener listener;
  EXPECT_EQ(describeLocalPortOwner(listener.port()),
            absl::StrCat("pid ", getpid(), " (", ownCommandName(), ")"));
}

TEST(PortOwnerTest, NothingListeningIsEmpty) {
  uint16_t port = 0;
  {
    Listener closed_again;
    port = closed_again.port();
  }
  EXPECT_EQ(describeLocalPortOwner(port), "");
}

}  // namespace
}  // namespace pfd::app
