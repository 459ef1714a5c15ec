#include "daemon/app/metrics_server.h"

#include <netinet/in.h>

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/app/metrics_http.h"
#include "daemon/event/uv_status.h"
#include "daemon/relay/socket_address.h"
#include "spdlog/spdlog.h"

namespace pfd::app {

struct MetricsServer::Listener {
  uv_tcp_t tcp{};
  MetricsServer* server = nullptr;  // null once the server is gone
};

// One client: its socket and its deadline, both closed before the block is freed.
struct MetricsServer::Connection {
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_write_t write{};
  uv_shutdown_t shutdown{};
  MetricsServer* server = nullptr;  // null once the server is gone or forgot it
  std::string received;
  std::string response;
  std::array<char, 4096> buffer{};
  int open_handles = 2;
  bool answered = false;
  bool closing = false;

  void close() {
    if (closing) {
      return;
    }
    closing = true;
    if (server != nullptr) {
      server->forget(this);
      server = nullptr;
    }
    auto on_closed = [](uv_handle_t* handle) {
      auto* connection = static_cast<Connection*>(handle->data);
      if (--connection->open_handles == 0) {
        delete connection;
      }
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), on_closed);
  }

  void answer(std::string bytes) {
    answered = true;
    response = std::move(bytes);
    uv_buf_t buf = uv_buf_init(response.data(), static_cast<unsigned int>(response.size()));
    write.data = this;
    const int error = uv_write(&write, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1,
                               [](uv_write_t* request, int status) {
                                 auto* connection = static_cast<Connection*>(request->data);
                                 connection->afterWrite(status);
                               });
    if (error != 0) {
      close();
    }
  }

  // The response is out: send FIN and read what the client still sends until its EOF, so the
  // kernel does not answer unread bytes with a reset that could discard the response.
  void afterWrite(int status) {
    if (status != 0 || closing) {
      close();
      return;
    }
    shutdown.data = this;
    if (uv_shutdown(&shutdown, reinterpret_cast<uv_stream_t*>(&tcp),
                    [](uv_shutdown_t* request, int /*status*/) {
                      auto* connection = static_cast<Connection*>(request->data);
                      if (connection->closing) {
                        return;
                      }
                      // Lingering ends at the client's EOF or one more second.
                      uv_timer_start(
                          &connection->timer,
                          [](uv_timer_t* handle) {
                            static_cast<Connection*>(handle->data)->close();
                          },
                          1000, 0);
                    }) != 0) {
      close();
    }
  }

  void onRead(ssize_t nread) {
    if (nread < 0) {
      close();
      return;
    }
    if (answered) {
      return;  // lingering: discard
    }
    received.append(buffer.data(), static_cast<size_t>(nread));
    std::optional<size_t> end = MetricsHttp::headEnd(received);
    if (!end.has_value() && received.size() <= MetricsHttp::kMaxRequestBytes) {
      return;
    }
    if (!end.has_value() || *end > MetricsHttp::kMaxRequestBytes) {
      answer(MetricsHttp::error(
          400, "Bad Request",
          absl::StrCat("request head over ", MetricsHttp::kMaxRequestBytes, " bytes")));
      return;
    }
    if (server == nullptr) {
      close();
      return;
    }
    answer(MetricsHttp::respond(absl::string_view(received).substr(0, *end), server->render_));
  }
};

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::listen(
    uv_loop_t* loop, const std::string& host, uint16_t port, std::function<std::string()> render) {
  const std::string where = relay::endpointText(host, port);
  const std::optional<relay::SocketAddress> address = relay::SocketAddress::parse(host, port);
  if (!address.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot serve metrics on ", where, ": not an IP address"));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer(loop, std::move(render)));
  auto* listener = new Listener{};
  listener->server = server.get();
  uv_tcp_init(loop, &listener->tcp);
  listener->tcp.data = listener;
  int error = uv_tcp_bind(&listener->tcp, address->get(), 0);
  if (error == 0) {
    error =
        uv_listen(reinterpret_cast<uv_stream_t*>(&listener->tcp), 64, &MetricsServer::onConnection);
  }
  server->listener_ = listener;
  if (error != 0) {
    const std::string action = absl::StrCat("cannot serve metrics on ", where);
    switch (error) {
      case UV_EADDRINUSE:
        return absl::AlreadyExistsError(absl::StrCat(
            action,
            ": the port is already in use; choose another metrics.address port, or stop "
            "what listens there (ss -ltnp shows it)"));
      case UV_EACCES:
      case UV_EPERM:
        return absl::PermissionDeniedError(
            absl::StrCat(action, ": ports below 1024 need root; choose a higher port"));
      case UV_EADDRNOTAVAIL:
        return absl::UnavailableError(
            absl::StrCat(action, ": ", host, " is not an address of this machine"));
      default:
        return event::uvStatus(error, action);
    }
  }
  sockaddr_storage bound{};
  int length = sizeof bound;
  uint16_t bound_port = port;
  if (uv_tcp_getsockname(&listener->tcp, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
    bound_port = bound.ss_family == AF_INET6
                     ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                     : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  }
  server->where_ = relay::endpointText(host, bound_port);
  return server;
}

MetricsServer::~MetricsServer() {
  if (listener_ != nullptr) {
    listener_->server = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_->tcp),
             [](uv_handle_t* tcp) { delete static_cast<Listener*>(tcp->data); });
  }
  // close() removes each from the set, so walk a copy.
  const std::set<Connection*> open = std::move(connections_);
  for (Connection* connection : open) {
    connection->server = nullptr;
    connection->close();
  }
}

void MetricsServer::onConnection(uv_stream_t* server, int status) {
  auto* listener = static_cast<Listener*>(server->data);
  if (listener->server == nullptr) {
    return;
  }
  if (status < 0) {
    spdlog::warn("cannot accept a metrics connection: {}", uv_strerror(status));
    return;
  }
  listener->server->accept(server);
}

void MetricsServer::accept(uv_stream_t* server) {
  auto* connection = new Connection{};
  uv_tcp_init(loop_, &connection->tcp);
  uv_timer_init(loop_, &connection->timer);
  connection->tcp.data = connection;
  connection->timer.data = connection;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&connection->tcp)) != 0) {
    connection->close();
    return;
  }
  if (connections_.size() >= kMaxConnections) {
    spdlog::debug("metrics: {} connections open, closing a new one", connections_.size());
    connection->close();
    return;
  }
  connection->server = this;
  connections_.insert(connection);
  uv_timer_start(
      &connection->timer,
      [](uv_timer_t* timer) {
        auto* late = static_cast<Connection*>(timer->data);
        if (!late->answered) {
          late->answer(MetricsHttp::error(408, "Request Timeout", "no request head in time"));
          return;
        }
        late->close();
      },
      static_cast<uint64_t>(kRequestTimeout.count()), 0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&connection->tcp),
      [](uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
        auto* reading = static_cast<Connection*>(handle->data);
        *buf =
            uv_buf_init(reading->buffer.data(), static_cast<unsigned int>(reading->buffer.size()));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
        static_cast<Connection*>(stream->data)->onRead(nread);
      });
}

}  // namespace pfd::app
