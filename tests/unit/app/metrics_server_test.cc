#include "daemon/app/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::app {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sends `request` to 127.0.0.1:port from a blocking socket and reads until the server closes.
std::string exchange(uint16_t port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "connect failed";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    sent += static_cast<size_t>(n);
  }
  std::string received;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    received.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return received;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  // The servers are gone by now (destroyed in the test body): their handles close here.
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  std::unique_ptr<MetricsServer> listen() {
    auto server = MetricsServer::listen(&loop_, "127.0.0.1", 0, [this] {
      renders_++;
      return std::string("pfd_up 1\n");
    });
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  static uint16_t portOf(const MetricsServer& server) {
    int port = 0;
    const std::string& where = server.where();
    EXPECT_TRUE(absl::SimpleAtoi(where.substr(where.rfind(':') + 1), &port)) << where;
    return static_cast<uint16_t>(port);
  }

  // Runs the loop while a client thread makes one exchange; the loop stops when it is done.
  std::string run(uint16_t port, const std::string& request) {
    uv_async_t done{};
    uv_async_init(&loop_, &done, [](uv_async_t* async) {
      uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
      uv_stop(async->loop);  // the listener would keep the loop running
    });
    std::string response;
    std::thread client([&] {
      response = exchange(port, request);
      uv_async_send(&done);
    });
    uv_run(&loop_, UV_RUN_DEFAULT);
    client.join();
    return response;
  }

  uv_loop_t loop_{};
  int renders_ = 0;
};

TEST_F(MetricsServerTest, AnswersGetMetricsAndClosesTheConnection) {
  auto server = listen();
  ASSERT_NE(server, nullptr);
  const uint16_t port = portOf(*server);
  const std::string response = run(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, EndsWith("\r\n\r\npfd_up 1\n"));
  EXPECT_EQ(renders_, 1);
  server.reset();
}

TEST_F(MetricsServerTest, AHeadOverTheLimitIs400) {
  auto server = listen();
  ASSERT_NE(server, nullptr);
  const std::string response =
      run(portOf(*server), "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a'));
  EXPECT_THAT(response, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(response, HasSubstr("request head over 8192 bytes"));
  EXPECT_EQ(renders_, 0);
  server.reset();
}

TEST_F(MetricsServerTest, APortInUseIsAnErrorThatNamesTheAddress) {
  auto first = listen();
  ASSERT_NE(first, nullptr);
  auto second =
      MetricsServer::listen(&loop_, "127.0.0.1", portOf(*first), [] { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("cannot serve metrics on 127.0.0.1:" + std::to_string(portOf(*first)) +
                        ": the port is already in use"));
}

}  // namespace
}  // namespace pfd::app
