#include "tests/unit/probe/loopback_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace pfd::probe::testing {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

LoopbackSocket::LoopbackSocket() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd_, 0) << "socket: " << errno;
  sockaddr_in address = loopback(0);
  EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
      << "bind: " << errno;
  socklen_t length = sizeof(address);
  EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
  port_ = ntohs(address.sin_port);
}

LoopbackSocket::~LoopbackSocket() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void LoopbackSocket::listen(int backlog) {
  EXPECT_EQ(::listen(fd_, backlog), 0) << "listen: " << errno;
}

LoopbackClient::LoopbackClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(port);
  connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

LoopbackClient::~LoopbackClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace pfd::probe::testing
