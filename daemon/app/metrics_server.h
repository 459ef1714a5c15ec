#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace pfd::app {

// GET /metrics on the daemon's loop: a TCP listener and one short exchange per connection
// (MetricsHttp: read the request head, answer, close). Rendering runs on the loop, where the
// forwards live, so a scrape sees one consistent moment. A client gets `kRequestTimeout` to send
// its head and at most MetricsHttp::kMaxRequestBytes of it; past kMaxConnections open at once,
// new ones are closed at accept.
class MetricsServer {
 public:
  static constexpr std::chrono::milliseconds kRequestTimeout{10000};
  static constexpr size_t kMaxConnections = 64;

  // Binds HOST:PORT (an IP literal) and listens. The errors name the address and say what to do
  // (a port in use, a privileged port, an address this machine does not have).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> listen(uv_loop_t* loop,
                                                               const std::string& host,
                                                               uint16_t port,
                                                               std::function<std::string()> render);
  // Stops listening and closes the open connections; their handles go in their close callbacks.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // "127.0.0.1:9469", with the port bound (for port 0, the one the kernel chose).
  const std::string& where() const { return where_; }

 private:
  struct Listener;
  struct Connection;
  MetricsServer(uv_loop_t* loop, std::function<std::string()> render)
      : loop_(loop), render_(std::move(render)) {}
  static void onConnection(uv_stream_t* server, int status);
  void accept(uv_stream_t* server);
  void forget(Connection* connection) { connections_.erase(connection); }

  uv_loop_t* loop_;
  std::function<std::string()> render_;
  Listener* listener_ = nullptr;  // freed in its close callback
  std::set<Connection*> connections_;
  std::string where_;
};

using MetricsServerPtr = std::unique_ptr<MetricsServer>;

}  // namespace pfd::app
