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

// A TCP socket bound to 127.0.0.1 on a free port chosen by the kernel, listening or not. It holds
// the port until it is destroyed, so no other process can listen on it meanwhile.
class BoundSocket {
 public:
  explicit BoundSocket(bool listening) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    if (listening) {
      EXPECT_EQ(listen(fd_, 1), 0);
    }
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~BoundSocket() { close(fd_); }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;

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
  BoundSocket listener(/*listening=*/true);
  EXPECT_EQ(describeLocalPortOwner(listener.port()),
            absl::StrCat("pid ", getpid(), " (", ownCommandName(), ")"));
}

// The port stays bound (not listening) for the whole test: a port closed again could be taken by
// a listener in a test running in parallel.
TEST(PortOwnerTest, NothingListeningIsEmpty) {
  BoundSocket bound_only(/*listening=*/false);
  EXPECT_EQ(describeLocalPortOwner(bound_only.port()), "");
}

}  // namespace
}  // namespace pfd::app
