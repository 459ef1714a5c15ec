#include "tests/unit/relay/loop_peers.h"

#include <netinet/in.h>

#include <memory>
#include <utility>

#include "gtest/gtest.h"

namespace pfd::relay::testing {
namespace {

void allocate(uv_handle_t* /*handle*/, size_t suggested, uv_buf_t* buffer) {
  *buffer = uv_buf_init(new char[suggested], static_cast<unsigned int>(suggested));
}

struct Write {
  uv_write_t request;
  std::string bytes;
};

// Writes a copy of the bytes; the request frees itself.
int writeCopy(uv_stream_t* stream, std::string bytes, uv_write_cb done) {
  auto* write = new Write{.request = {}, .bytes = std::move(bytes)};
  write->request.data = write;
  uv_buf_t buffer =
      uv_buf_init(write->bytes.data(), static_cast<unsigned int>(write->bytes.size()));
  const int error = uv_write(&write->request, stream, &buffer, 1, done);
  if (error != 0) {
    delete write;
  }
  return error;
}

void freeWrite(uv_write_t* request, int /*status*/) { delete static_cast<Write*>(request->data); }

struct Session {
  uv_tcp_t tcp;
  uv_shutdown_t shutdown;
};

void closeSession(Session* session) {
  uv_close(reinterpret_cast<uv_handle_t*>(&session->tcp),
           [](uv_handle_t* tcp) { delete static_cast<Session*>(tcp->data); });
}

void onSessionRead(uv_stream_t* stream, ssize_t bytes, const uv_buf_t* buffer) {
  std::unique_ptr<char[]> owned(buffer->base);
  auto* session = static_cast<Session*>(stream->data);
  if (bytes > 0) {
    if (writeCopy(stream, std::string(buffer->base, static_cast<size_t>(bytes)), &freeWrite) != 0) {
      closeSession(session);
    }
    return;
  }
  if (bytes == UV_EOF) {
    session->shutdown.data = session;
    const int error = uv_shutdown(&session->shutdown, stream, [](uv_shutdown_t* request, int) {
      closeSession(static_cast<Session*>(request->data));
    });
    if (error != 0) {
      closeSession(session);
    }
  } else if (bytes < 0) {
    closeSession(session);
  }
}

struct Client {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_shutdown_t shutdown;
  std::string payload;
  EchoResult* result;
};

void finishClient(Client* client, int error) {
  client->result->error = error;
  client->result->done = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&client->tcp),
           [](uv_handle_t* tcp) { delete static_cast<Client*>(tcp->data); });
}

void onClientRead(uv_stream_t* stream, ssize_t bytes, const uv_buf_t* buffer) {
  std::unique_ptr<char[]> owned(buffer->base);
  auto* client = static_cast<Client*>(stream->data);
  if (bytes > 0) {
    client->result->received.append(buffer->base, static_cast<size_t>(bytes));
  } else if (bytes < 0) {
    finishClient(client, bytes == UV_EOF ? 0 : static_cast<int>(bytes));
  }
}

void onClientConnected(uv_connect_t* request, int status) {
  auto* client = static_cast<Client*>(request->data);
  if (status != 0) {
    finishClient(client, status);
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&client->tcp);
  int error = writeCopy(stream, client->payload, &freeWrite);
  if (error == 0) {
    error = uv_shutdown(&client->shutdown, stream, [](uv_shutdown_t*, int) {});
  }
  if (error == 0) {
    error = uv_read_start(stream, &allocate, &onClientRead);
  }
  if (error != 0) {
    finishClient(client, error);
  }
}

}  // namespace

struct LoopEchoServer::Listener {
  uv_tcp_t tcp;
};

LoopEchoServer::LoopEchoServer(uv_loop_t* loop) : listener_(new Listener{}) {
  uv_tcp_init(loop, &listener_->tcp);
  listener_->tcp.data = listener_;
  sockaddr_in address{};
  uv_ip4_addr("127.0.0.1", 0, &address);
  EXPECT_EQ(uv_tcp_bind(&listener_->tcp, reinterpret_cast<const sockaddr*>(&address), 0), 0);
  EXPECT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_->tcp), 511,
                      [](uv_stream_t* server, int status) {
                        if (status != 0) {
                          return;
                        }
                        auto* session = new Session{};
                        uv_tcp_init(server->loop, &session->tcp);
                        session->tcp.data = session;
                        auto* stream = reinterpret_cast<uv_stream_t*>(&session->tcp);
                        if (uv_accept(server, stream) != 0 ||
                            uv_read_start(stream, &allocate, &onSessionRead) != 0) {
                          closeSession(session);
                        }
                      }),
            0);
  sockaddr_storage bound{};
  int length = sizeof bound;
  uv_tcp_getsockname(&listener_->tcp, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

LoopEchoServer::~LoopEchoServer() {
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_->tcp),
           [](uv_handle_t* tcp) { delete static_cast<Listener*>(tcp->data); });
}

void startEchoClient(uv_loop_t* loop, uint16_t port, std::string payload, EchoResult* result) {
  auto* client = new Client{
      .tcp = {}, .connect = {}, .shutdown = {}, .payload = std::move(payload), .result = result};
  uv_tcp_init(loop, &client->tcp);
  client->tcp.data = client;
  client->connect.data = client;
  sockaddr_in address{};
  uv_ip4_addr("127.0.0.1", port, &address);
  const int error = uv_tcp_connect(&client->connect, &client->tcp,
                                   reinterpret_cast<const sockaddr*>(&address), &onClientConnected);
  if (error != 0) {
    finishClient(client, error);
  }
}

}  // namespace pfd::relay::testing
