#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pfd::relay::testing {

// A socket descriptor, closed on destruction. Blocking sockets made here time out after 30 s,
// so a peer thread whose relay broke fails its test instead of hanging it.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { reset(); }
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// Listening on 127.0.0.1, on a port the kernel chose (written to *port).
Socket listenOnLoopback(uint16_t* port, int backlog = 256);
// Bound to 127.0.0.1 but not listening: a connect to *port is refused, and nobody else can take
// the port while the socket lives.
Socket bindWithoutListening(uint16_t* port);
Socket acceptFrom(const Socket& listener);
Socket connectToLoopback(uint16_t port);

void setNonBlocking(int fd);
void setBufferSizes(int fd, int receive, int send);
// The next close() sends a reset instead of a FIN.
void resetOnClose(int fd);
void shutdownWrite(int fd);

// Blocking I/O (MSG_NOSIGNAL: a peer that went away must not SIGPIPE the test).
bool sendAll(int fd, const std::string& bytes);
// Until EOF; *error is the errno that ended it instead, if any (0 for EOF).
std::string receiveUntilEof(int fd, int* error = nullptr);
std::string receiveExactly(int fd, size_t length);

}  // namespace pfd::relay::testing
