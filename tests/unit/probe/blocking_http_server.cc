#include "tests/unit/probe/blocking_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pfd::probe::testing {
namespace {

constexpr size_t kMaxRequestBytes = 64 * 1024;

void sendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    // MSG_NOSIGNAL: a probe that stops reading must not SIGPIPE the test.
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

BlockingHttpServer::BlockingHttpServer(Response response, std::function<void()> on_request)
    : response_(std::move(response)), on_request_(std::move(on_request)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(::listen(listen_fd_, 16), 0);
  socklen_t length = sizeof(address);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

BlockingHttpServer::~BlockingHttpServer() {
  // Wakes the blocked accept() on Linux, which then fails and ends the thread.
  ::shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
  for (int client : held_clients_) {
    ::close(client);
  }
}

std::vector<std::string> BlockingHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void BlockingHttpServer::serve() {
  while (true) {
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    answer(client);
  }
}

void BlockingHttpServer::answer(int client) {
  // A safety net, not synchronisation: a client that connects and never writes cannot wedge
  // the server thread (and the test's teardown) forever.
  timeval receive_timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof(receive_timeout));
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
    const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      break;
    }
    request.append(buffer, static_cast<size_t>(n));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
  }
  if (on_request_) {
    on_request_();
  }
  if (response_.hang) {
    held_clients_.push_back(client);
    return;
  }
  if (response_.close_silently) {
    ::close(client);
    return;
  }
  if (!response_.raw.empty()) {
    sendAll(client, response_.raw);
    if (response_.keep_open) {
      held_clients_.push_back(client);
    } else {
      ::close(client);
    }
    return;
  }
  std::string head = absl::StrCat("HTTP/1.1 ", response_.status, " ", response_.reason, "\r\n");
  for (const std::string& header : response_.headers) {
    absl::StrAppend(&head, header, "\r\n");
  }
  absl::StrAppend(&head, "Content-Length: ", response_.body.size(),
                  "\r\nConnection: close\r\n\r\n");
  sendAll(client, head);
  sendAll(client, response_.body);
  ::close(client);
}

}  // namespace pfd::probe::testing
