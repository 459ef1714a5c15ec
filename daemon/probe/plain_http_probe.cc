#include "daemon/probe/plain_http_probe.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/probe/http_wire.h"
#include "daemon/probe/loop_timer.h"
#include "daemon/probe/probe_completion.h"
#include "daemon/probe/probe_messages.h"
#include "daemon/probe/probe_socket.h"

namespace pfd::probe {
namespace {

class PlainHttpProbe : public ProbeHandle {
 public:
  PlainHttpProbe(uv_loop_t* loop, const core::ProbeSpec& spec, std::string address,
                 std::function<void(ProbeResult)> done)
      : loop_(loop),
        address_(std::move(address)),
        port_(spec.port),
        target_(requestTarget(spec.path)),
        timeout_(spec.timeout),
        completion_(std::move(done)),
        timer_(loop) {}

  ~PlainHttpProbe() override { closeConnection(); }

  void start(const core::ProbeSpec& spec) {
    absl::StatusOr<sockaddr_storage> target = probeSocketAddress(address_, port_);
    if (!target.ok()) {
      failLater(std::string(target.status().message()));
      return;
    }
    connection_ = new Connection{};
    connection_->owner = this;
    connection_->request = probeRequest(spec, endpointText(address_, port_));
    uv_tcp_init(loop_, &connection_->tcp);
    connection_->tcp.data = connection_;
    connection_->connect.data = connection_;
    connection_->write.data = connection_;
    const int error = uv_tcp_connect(&connection_->connect, &connection_->tcp,
                                     reinterpret_cast<const sockaddr*>(&*target), &onConnect);
    if (error != 0) {
      closeConnection();
      failLater(connectErrorMessage(address_, port_, error));
      return;
    }
    timer_.start(timeout_, [this] { finish(false, timeoutMessage(timeout_)); });
  }

 private:
  // The uv handles and requests outlive the probe until libuv has closed them; closing cancels
  // the requests, whose callbacks then find no owner.
  struct Connection {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    std::string request;
    PlainHttpProbe* owner = nullptr;
  };

  static Connection* connectionOf(void* data) { return static_cast<Connection*>(data); }
  static uv_stream_t* streamOf(Connection* connection) {
    return reinterpret_cast<uv_stream_t*>(&connection->tcp);
  }

  static void onConnect(uv_connect_t* request, int status) {
    if (Connection* connection = connectionOf(request->data); connection->owner != nullptr) {
      connection->owner->onConnected(status);
    }
  }

  // A failed write is not reported by itself: the peer closed or reset the connection, and the
  // read side says which, with or without a response.
  static void onWritten(uv_write_t* /*request*/, int /*status*/) {}

  static void allocate(uv_handle_t* /*handle*/, size_t /*suggested*/, uv_buf_t* buffer) {
    // Each read is handed over before the next allocation, so one buffer serves every probe.
    thread_local char storage[16 * 1024];
    *buffer = uv_buf_init(storage, sizeof storage);
  }

  static void onRead(uv_stream_t* stream, ssize_t bytes, const uv_buf_t* buffer) {
    if (Connection* connection = connectionOf(stream->data); connection->owner != nullptr) {
      connection->owner->onReceived(bytes, buffer->base);
    }
  }

  void onConnected(int status) {
    if (status != 0) {
      finish(false, connectErrorMessage(address_, port_, status));
      return;
    }
    uv_buf_t request = uv_buf_init(connection_->request.data(),
                                   static_cast<unsigned int>(connection_->request.size()));
    int error = uv_write(&connection_->write, streamOf(connection_), &request, 1, &onWritten);
    if (error == 0) {
      error = uv_read_start(streamOf(connection_), &allocate, &onRead);
    }
    if (error != 0) {
      finish(false, requestFailed(uv_strerror(error)));
    }
  }

  void onReceived(ssize_t bytes, const char* data) {
    HttpResponseReader::Progress progress;
    if (bytes > 0) {
      progress = reader_.feed(absl::string_view(data, static_cast<size_t>(bytes)));
    } else if (bytes == UV_EOF) {
      progress = reader_.endOfStream();
    } else if (bytes < 0) {
      finish(false, requestFailed(uv_strerror(static_cast<int>(bytes))));
      return;
    } else {
      return;  // nothing read this time (EAGAIN)
    }
    switch (progress) {
      case HttpResponseReader::Progress::kNeedMore:
        return;
      case HttpResponseReader::Progress::kFailed:
        finish(false, requestFailed(reader_.error()));
        return;
      case HttpResponseReader::Progress::kDone: {
        // Kubernetes: 200 <= status < 400 is success, so redirects count as ready.
        const int status = *reader_.status();
        const bool success = status >= 200 && status < 400;
        finish(success, success ? absl::StrCat("HTTP ", status)
                                : absl::StrCat("HTTP ", status, " from ", target_));
        return;
      }
    }
  }

  std::string requestFailed(absl::string_view detail) const {
    return absl::StrCat("HTTP GET ", target_, " on ", endpointText(address_, port_),
                        " failed: ", detail);
  }

  // Runs the callback last: it may destroy this probe.
  void finish(bool success, std::string message) {
    closeConnection();
    timer_.stop();
    completion_.complete(completion_.result(success, std::move(message)));
  }

  // done must never run inside run(), so an error known at once waits for the next loop turn.
  void failLater(std::string message) {
    timer_.start(std::chrono::milliseconds(0), [this, message = std::move(message)]() mutable {
      completion_.complete(completion_.result(false, std::move(message)));
    });
  }

  void closeConnection() {
    if (connection_ == nullptr) {
      return;
    }
    connection_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&connection_->tcp),
             [](uv_handle_t* tcp) { delete connectionOf(tcp->data); });
    connection_ = nullptr;
  }

  uv_loop_t* loop_;
  const std::string address_;
  const uint16_t port_;
  const std::string target_;
  const std::chrono::milliseconds timeout_;
  ProbeCompletion completion_;
  LoopTimer timer_;
  HttpResponseReader reader_;
  Connection* connection_ = nullptr;
};

}  // namespace

ProbeHandlePtr startPlainHttpProbe(uv_loop_t* loop, const core::ProbeSpec& spec,
                                   const std::string& address,
                                   std::function<void(ProbeResult)> done) {
  auto probe = std::make_unique<PlainHttpProbe>(loop, spec, address, std::move(done));
  probe->start(spec);
  return probe;
}

}  // namespace pfd::probe
