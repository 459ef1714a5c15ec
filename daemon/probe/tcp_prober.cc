#include "daemon/probe/tcp_prober.h"

#include <utility>

#include "absl/status/statusor.h"
#include "daemon/probe/loop_timer.h"
#include "daemon/probe/probe_completion.h"
#include "daemon/probe/probe_messages.h"
#include "daemon/probe/probe_socket.h"

namespace pfd::probe {
namespace {

class TcpProbe : public ProbeHandle {
 public:
  TcpProbe(uv_loop_t* loop, std::string address, const core::ProbeSpec& spec,
           std::function<void(ProbeResult)> done)
      : loop_(loop),
        address_(std::move(address)),
        port_(spec.port),
        timeout_(spec.timeout),
        completion_(std::move(done)),
        timer_(loop) {}

  ~TcpProbe() override { closeSocket(); }

  void start() {
    absl::StatusOr<sockaddr_storage> target = probeSocketAddress(address_, port_);
    if (!target.ok()) {
      failLater(std::string(target.status().message()));
      return;
    }
    socket_ = new Socket{};
    socket_->owner = this;
    uv_tcp_init(loop_, &socket_->tcp);
    socket_->tcp.data = socket_;
    socket_->connect.data = socket_;
    const int error = uv_tcp_connect(&socket_->connect, &socket_->tcp,
                                     reinterpret_cast<const sockaddr*>(&*target), &onConnect);
    if (error != 0) {
      closeSocket();
      failLater(connectErrorMessage(address_, port_, error));
      return;
    }
    timer_.start(timeout_, [this] { onTimeout(); });
  }

 private:
  // The uv handles outlive the probe until libuv has closed them.
  struct Socket {
    uv_tcp_t tcp;
    uv_connect_t connect;
    TcpProbe* owner = nullptr;
  };

  static void onConnect(uv_connect_t* request, int status) {
    auto* socket = static_cast<Socket*>(request->data);
    // Closing the socket cancels the request (UV_ECANCELED) after the owner let go of it.
    if (socket->owner != nullptr) {
      socket->owner->onConnected(status);
    }
  }

  void onConnected(int status) {
    closeSocket();
    timer_.stop();
    if (status == 0) {
      completion_.complete(completion_.result(true, "connected"));
    } else {
      completion_.complete(completion_.result(false, connectErrorMessage(address_, port_, status)));
    }
  }

  void onTimeout() {
    closeSocket();
    completion_.complete(completion_.result(false, timeoutMessage(timeout_)));
  }

  // done must never run inside run(), so an error known at once waits for the next loop turn.
  void failLater(std::string message) {
    timer_.start(std::chrono::milliseconds(0), [this, message = std::move(message)]() mutable {
      completion_.complete(completion_.result(false, std::move(message)));
    });
  }

  void closeSocket() {
    if (socket_ == nullptr) {
      return;
    }
    socket_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&socket_->tcp),
             [](uv_handle_t* tcp) { delete static_cast<Socket*>(tcp->data); });
    socket_ = nullptr;
  }

  uv_loop_t* loop_;
  const std::string address_;
  const uint16_t port_;
  const std::chrono::milliseconds timeout_;
  ProbeCompletion completion_;
  LoopTimer timer_;
  Socket* socket_ = nullptr;
};

}  // namespace

TcpProber::TcpProber(uv_loop_t* loop) : loop_(loop) {}

ProbeHandlePtr TcpProber::run(const core::ProbeSpec& spec, const std::string& address,
                              std::function<void(ProbeResult)> done) {
  auto probe = std::make_unique<TcpProbe>(loop_, address, spec, std::move(done));
  probe->start();
  return probe;
}

}  // namespace pfd::probe
