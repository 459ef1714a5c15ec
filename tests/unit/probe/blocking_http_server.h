#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pfd::probe::testing {

// A minimal HTTP/1.1 server on 127.0.0.1, port 0, on its own thread with blocking sockets: it
// answers every request with the same response (or, hanging, with nothing at all) and records
// the request heads it read.
class BlockingHttpServer {
 public:
  struct Response {
    int status = 200;
    std::string reason = "OK";
    std::vector<std::string> headers;  // "Name: value"
    std::string body = "ok";
    bool hang = false;            // accept and read the request, never answer
    bool close_silently = false;  // read the request, close without answering
    std::string raw;              // when set, sent verbatim instead of the fields above
    bool keep_open = false;       // with raw: then hold the connection (ignore Connection: close)
  };

  // `on_request` runs on the server thread after each request head was recorded.
  explicit BlockingHttpServer(Response response, std::function<void()> on_request = nullptr);
  ~BlockingHttpServer();
  BlockingHttpServer(const BlockingHttpServer&) = delete;
  BlockingHttpServer& operator=(const BlockingHttpServer&) = delete;

  uint16_t port() const { return port_; }
  std::vector<std::string> requests() const;

 private:
  void serve();
  void answer(int client);

  const Response response_;
  const std::function<void()> on_request_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<int> held_clients_;  // server thread only
  std::thread thread_;
};

}  // namespace pfd::probe::testing
