#include "daemon/probe/probe_connection.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "daemon/probe/probe_messages.h"

namespace pfd::probe {
namespace {

// kubectl port-forward --address accepts "localhost"; libuv only connects to numeric addresses,
// and resolving would need the threadpool for a name that is always the loopback.
absl::StatusOr<sockaddr_storage> socketAddress(const std::string& address, uint16_t port) {
  const std::string host = address == "localhost" ? "127.0.0.1" : address;
  sockaddr_storage storage{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&storage)) == 0) {
    return storage;
  }
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&storage)) == 0) {
    return storage;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot probe \"", address,
                   "\": not an IP address; set the forward's address to an IP such as 127.0.0.1"));
}

std::string connectErrorMessage(const std::string& address, uint16_t port, int uv_error) {
  if (uv_error == UV_ECONNREFUSED) {
    return connectionRefusedMessage(address, port);
  }
  return absl::StrCat("cannot connect to ", endpointText(address, port), ": ",
                      uv_strerror(uv_error));
}

void allocate(uv_handle_t* /*handle*/, size_t /*suggested*/, uv_buf_t* buffer) {
  // Each read is handed over before the next allocation, so one buffer serves every probe.
  thread_local char storage[16 * 1024];
  *buffer = uv_buf_init(storage, sizeof storage);
}

// A failed write is not reported by itself: the peer closed or reset the connection, and the
// read side says which, with or without an answer.
void onWritten(uv_write_t* /*request*/, int /*status*/) {}

}  // namespace

struct ProbeConnection::Handles {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  std::string outgoing;
  ProbeConnection* owner = nullptr;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }
};

ProbeConnection::ProbeConnection(event::LibuvDispatcher& dispatcher, std::string address,
                                 uint16_t port, std::chrono::milliseconds timeout,
                                 std::function<void(ProbeResult)> done)
    : loop_(dispatcher.loop()),
      address_(std::move(address)),
      port_(port),
      timeout_(timeout),
      completion_(std::move(done)),
      timer_(dispatcher.createTimer([this] { onTimer(); })) {}

ProbeConnection::~ProbeConnection() { close(); }

void ProbeConnection::connect(std::function<void()> on_connected) {
  absl::StatusOr<sockaddr_storage> target = socketAddress(address_, port_);
  if (!target.ok()) {
    failLater(std::string(target.status().message()));
    return;
  }
  on_connected_ = std::move(on_connected);
  handles_ = new Handles{};
  handles_->owner = this;
  uv_tcp_init(loop_, &handles_->tcp);
  handles_->tcp.data = handles_;
  handles_->connect.data = handles_;
  const int error = uv_tcp_connect(&handles_->connect, &handles_->tcp,
                                   reinterpret_cast<const sockaddr*>(&*target), &onConnect);
  if (error != 0) {
    close();
    failLater(connectErrorMessage(address_, port_, error));
    return;
  }
  timer_->enable(timeout_);
}

void ProbeConnection::onConnect(uv_connect_t* request, int status) {
  ProbeConnection* self = static_cast<Handles*>(request->data)->owner;
  if (self == nullptr) {
    return;
  }
  if (status != 0) {
    self->finish(false, connectErrorMessage(self->address_, self->port_, status));
    return;
  }
  sockaddr_storage local{};
  int length = sizeof(local);
  if (uv_tcp_getsockname(&self->handles_->tcp, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    char text[INET6_ADDRSTRLEN] = {};
    if (local.ss_family == AF_INET6) {
      uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&local), text, sizeof(text));
    } else {
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&local), text, sizeof(text));
    }
    self->local_address_ = text;
  }
  // Moved out first: the callback may finish the probe and destroy `self`, and a std::function
  // must not be destroyed while it runs.
  std::function<void()> on_connected = std::move(self->on_connected_);
  on_connected();
}

void ProbeConnection::exchange(std::string bytes, ReadCallback on_read) {
  on_read_ = std::move(on_read);
  handles_->outgoing = std::move(bytes);
  uv_buf_t buffer =
      uv_buf_init(handles_->outgoing.data(), static_cast<unsigned int>(handles_->outgoing.size()));
  int error = uv_write(&handles_->write, handles_->stream(), &buffer, 1, &onWritten);
  if (error == 0) {
    error = uv_read_start(handles_->stream(), &allocate, &onRead);
  }
  if (error != 0) {
    const ReadCallback report = on_read_;
    report(error, nullptr);
  }
}

void ProbeConnection::onRead(uv_stream_t* stream, ssize_t bytes, const uv_buf_t* buffer) {
  ProbeConnection* self = static_cast<Handles*>(stream->data)->owner;
  if (self != nullptr && bytes != 0) {  // 0: nothing this time (EAGAIN)
    // A copy, for the same reason as in onConnect; it captures no more than a pointer.
    const ReadCallback on_read = self->on_read_;
    on_read(bytes, buffer->base);
  }
}

void ProbeConnection::finish(bool success, std::string message) {
  close();
  timer_->disable();
  ProbeResult result = completion_.result(success, std::move(message));
  result.local_address = local_address_;
  completion_.complete(std::move(result));
}

// done must never run inside run(), so an error known at once waits for the next loop turn.
void ProbeConnection::failLater(std::string message) {
  early_failure_ = std::move(message);
  timer_->enable(std::chrono::milliseconds(0));
}

void ProbeConnection::onTimer() {
  if (early_failure_.has_value()) {
    completion_.complete(completion_.result(false, *std::move(early_failure_)));
    return;
  }
  finish(false, timeoutMessage(timeout_));
}

void ProbeConnection::close() {
  if (handles_ == nullptr) {
    return;
  }
  handles_->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handles_->tcp),
           [](uv_handle_t* tcp) { delete static_cast<Handles*>(tcp->data); });
  handles_ = nullptr;
}

}  // namespace pfd::probe
