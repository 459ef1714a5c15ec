#include "tests/unit/relay/test_sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "gtest/gtest.h"

namespace pfd::relay::testing {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int newSocket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0) << "socket: " << errno;
  timeval timeout{.tv_sec = 30, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return fd;
}

Socket boundToLoopback(uint16_t* port) {
  Socket socket(newSocket());
  sockaddr_in address = loopback(0);
  EXPECT_EQ(::bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
      << "bind: " << errno;
  socklen_t length = sizeof address;
  EXPECT_EQ(::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  *port = ntohs(address.sin_port);
  return socket;
}

}  // namespace

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void Socket::reset() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Socket listenOnLoopback(uint16_t* port, int backlog) {
  Socket socket = boundToLoopback(port);
  EXPECT_EQ(::listen(socket.fd(), backlog), 0) << "listen: " << errno;
  return socket;
}

Socket bindWithoutListening(uint16_t* port) { return boundToLoopback(port); }

Socket acceptFrom(const Socket& listener) {
  const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
  EXPECT_GE(fd, 0) << "accept: " << errno;
  timeval timeout{.tv_sec = 30, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return Socket(fd);
}

Socket connectToLoopback(uint16_t port) {
  Socket socket(newSocket());
  sockaddr_in address = loopback(port);
  EXPECT_EQ(::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
      << "connect to port " << port << ": " << errno;
  const int on = 1;
  ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return socket;
}

void setNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  ASSERT_EQ(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

void setBufferSizes(int fd, int receive, int send) {
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive, sizeof receive), 0);
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send, sizeof send), 0);
}

void resetOnClose(int fd) {
  linger option{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option), 0);
}

void shutdownWrite(int fd) { EXPECT_EQ(::shutdown(fd, SHUT_WR), 0) << "shutdown: " << errno; }

bool sendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t now = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (now < 0 && errno == EINTR) {
      continue;
    }
    if (now <= 0) {
      return false;
    }
    sent += static_cast<size_t>(now);
  }
  return true;
}

std::string receiveUntilEof(int fd, int* error) {
  std::string received;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t now = ::recv(fd, buffer, sizeof buffer, 0);
    if (now < 0 && errno == EINTR) {
      continue;
    }
    if (now <= 0) {
      if (error != nullptr) {
        *error = now == 0 ? 0 : errno;
      }
      return received;
    }
    received.append(buffer, static_cast<size_t>(now));
  }
}

std::string receiveExactly(int fd, size_t length) {
  std::string received(length, '\0');
  size_t have = 0;
  while (have < length) {
    const ssize_t now = ::recv(fd, received.data() + have, length - have, 0);
    if (now < 0 && errno == EINTR) {
      continue;
    }
    if (now <= 0) {
      received.resize(have);
      return received;
    }
    have += static_cast<size_t>(now);
  }
  return received;
}

}  // namespace pfd::relay::testing
