#include "daemon/relay/libuv_relay.h"

#include <csignal>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/relay/libuv_listener.h"

namespace pfd::relay {

absl::StatusOr<std::unique_ptr<LibuvRelay>> LibuvRelay::create(uv_loop_t* loop,
                                                               const RelayLimits& limits) {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) != 0 || current.sa_handler != SIG_IGN) {
    return absl::FailedPreconditionError(
        "the relay needs SIGPIPE ignored (signal(SIGPIPE, SIG_IGN)): a client that hangs up "
        "while pfd writes to it would otherwise kill the process");
  }
  if (limits.high_watermark == 0 || limits.low_watermark > limits.high_watermark) {
    return absl::InvalidArgumentError(
        absl::StrCat("relay watermarks need low <= high and high > 0; got low ",
                     limits.low_watermark, ", high ", limits.high_watermark));
  }
  return std::unique_ptr<LibuvRelay>(new LibuvRelay(loop, limits));
}

absl::StatusOr<ListenerPtr> LibuvRelay::listen(const std::string& address, uint16_t port,
                                               AcceptCallback on_accept) {
  absl::StatusOr<std::unique_ptr<LibuvListener>> listener =
      LibuvListener::create(loop_, address, port, limits_, std::move(on_accept));
  if (!listener.ok()) {
    return listener.status();
  }
  return ListenerPtr(std::move(*listener));
}

}  // namespace pfd::relay
