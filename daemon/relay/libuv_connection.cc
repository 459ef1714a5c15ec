#include "daemon/relay/libuv_connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/relay/socket_address.h"

namespace pfd::relay {
namespace {

bool isReset(int status) { return status == UV_ECONNRESET || status == UV_EPIPE; }

std::string connectFailure(const std::string& endpoint, int status) {
  if (status == UV_ECONNREFUSED) {
    return absl::StrCat("connection refused by ", endpoint);
  }
  return absl::StrCat("cannot connect to ", endpoint, ": ", uv_strerror(status));
}

}  // namespace

LibuvConnection::LibuvConnection(uv_loop_t* loop, std::unique_ptr<RelayStream> client,
                                 const RelayLimits& limits)
    : loop_(loop), limits_(limits), client_(std::move(client)), peer_(peerText(client_->tcp())) {
  client_->setCallbacks(this);
}

// The streams close themselves (a FIN, or a reset if the kernel still holds unread bytes) and
// never call back; a pending deferred report is dropped with its DeferredCall.
LibuvConnection::~LibuvConnection() = default;

size_t LibuvConnection::queuedBytes() const {
  return client_->queuedBytes() + (upstream_ ? upstream_->queuedBytes() : 0);
}

uint64_t LibuvConnection::bytesRead(Direction direction) const {
  // Delivered, plus what waits in the other side's queue (replayed bytes were read once and are
  // counted once: bytes_in_ starts again from 0 for each upstream).
  if (direction == Direction::kToUpstream) {
    return bytes_in_ + (upstream_ ? upstream_->queuedLength() : 0);
  }
  return bytes_out_ + client_->queuedLength();
}

void LibuvConnection::relayTo(const std::string& host, uint16_t port, const RelayOptions& options,
                              std::function<void(const RelayEnd&)> on_end) {
  if (state_ != State::kHeld && state_ != State::kAwaitingReplay) {
    // A caller's bug; the relay under way (if any) keeps its own on_end.
    if (!deferred_) {
      deferred_ = std::make_unique<DeferredCall>(loop_);
    }
    deferred_->post([on_end = std::move(on_end),
                     result = endOf(RelayEnd::Kind::kError,
                                    "relayTo() called on a connection that is not held and not "
                                    "waiting for a replay",
                                    false)] { on_end(result); });
    return;
  }
  on_end_ = std::move(on_end);
  upstream_endpoint_ = endpointText(host, port);
  replay_.setLimit(options.replay_buffer);
  replay_on_eof_ = options.replay_buffer > 0;
  bytes_in_ = 0;
  upstream_eof_ = false;
  upstream_shut_ = false;
  client_paused_ = false;
  upstream_paused_ = false;

  const std::optional<SocketAddress> address = SocketAddress::parse(host, port);
  if (!address) {
    reportLater(endOf(RelayEnd::Kind::kUpstreamFailed,
                      absl::StrCat("cannot connect to \"", host, "\": not an IP address"),
                      replay_.replayable()));
    return;
  }
  upstream_ = std::make_unique<RelayStream>(loop_);
  upstream_->setCallbacks(this);
  if (const int error = upstream_->connect(address->get()); error != 0) {
    upstream_.reset();
    reportLater(endOf(RelayEnd::Kind::kUpstreamFailed, connectFailure(upstream_endpoint_, error),
                      replay_.replayable()));
    return;
  }
  state_ = State::kConnecting;
}

void LibuvConnection::onConnected(RelayStream& /*upstream*/, int status) {
  if (status < 0) {
    upstreamGaveUp(connectFailure(upstream_endpoint_, status));
    return;
  }
  state_ = State::kRelaying;
  startRelaying();
}

void LibuvConnection::startRelaying() {
  // What an earlier upstream was sent (and the client's EOF, if it came) goes first.
  const std::string& kept = replay_.bytes();
  if (!kept.empty()) {
    RelayBuffer copy = RelayBuffer::ofSize(kept.size());
    std::copy(kept.begin(), kept.end(), copy.data());
    if (!forward(*upstream_, std::move(copy), kept.size(), bytes_in_)) {
      return;
    }
  }
  if (client_eof_) {
    if (const int error = upstream_->shutdown(); error != 0) {
      upstreamFailed(error);
      return;
    }
  } else {
    pauseReadingIfFull(*client_, *upstream_, client_paused_);
    if (!client_paused_) {
      client_->startReading();
    }
  }
  upstream_->startReading();
}

void LibuvConnection::onRead(RelayStream& stream, RelayBuffer buffer, size_t length) {
  if (tap_ != nullptr) {
    tap_->onRelayed(&stream == client_.get() ? Direction::kToUpstream : Direction::kToClient,
                    buffer.data(), length);
  }
  if (&stream == client_.get()) {
    if (!answered_) {
      replay_.keep(buffer.data(), length);
    }
    if (forward(*upstream_, std::move(buffer), length, bytes_in_)) {
      pauseReadingIfFull(*client_, *upstream_, client_paused_);
    }
    return;
  }
  if (!answered_) {
    answered_ = true;
    replay_.release();
  }
  if (forward(*client_, std::move(buffer), length, bytes_out_)) {
    pauseReadingIfFull(*upstream_, *client_, upstream_paused_);
  }
}

bool LibuvConnection::forward(RelayStream& to, RelayBuffer buffer, size_t length,
                              uint64_t& delivered) {
  const int64_t written = to.write(std::move(buffer), length);
  if (written < 0) {
    onWriteFailed(to, static_cast<int>(written));
    return false;
  }
  delivered += static_cast<uint64_t>(written);
  peak_queued_ = std::max(peak_queued_, to.queuedBytes());
  return true;
}

void LibuvConnection::pauseReadingIfFull(RelayStream& from, RelayStream& to, bool& paused) {
  if (!paused && to.queuedBytes() > limits_.high_watermark) {
    paused = true;
    from.stopReading();
  }
}

void LibuvConnection::resumeReadingIfDrained(RelayStream& from, RelayStream& to, bool& paused,
                                             bool at_eof) {
  if (paused && to.queuedBytes() < limits_.low_watermark) {
    paused = false;
    if (!at_eof) {
      from.startReading();
    }
  }
}

void LibuvConnection::onWritten(RelayStream& stream, size_t bytes) {
  if (&stream == client_.get()) {
    bytes_out_ += bytes;
    resumeReadingIfDrained(*upstream_, *client_, upstream_paused_, upstream_eof_);
  } else {
    bytes_in_ += bytes;
    resumeReadingIfDrained(*client_, *upstream_, client_paused_, client_eof_);
  }
}

void LibuvConnection::onReadEnd(RelayStream& stream, int status) {
  if (&stream == client_.get()) {
    if (status != UV_EOF) {
      clientFailed(status);
      return;
    }
    client_eof_ = true;
    if (const int error = upstream_->shutdown(); error != 0) {
      upstreamFailed(error);
    }
    return;
  }
  if (status != UV_EOF) {
    upstreamFailed(status);
    return;
  }
  if (!answered_ && replay_on_eof_ && replay_.replayable()) {
    upstreamGaveUp(absl::StrCat("the upstream ", upstream_endpoint_, " closed before it answered"));
    return;
  }
  upstream_eof_ = true;
  if (const int error = client_->shutdown(); error != 0) {
    clientFailed(error);
  }
}

void LibuvConnection::onWriteFailed(RelayStream& stream, int status) {
  if (&stream == client_.get()) {
    clientFailed(status);
  } else {
    upstreamFailed(status);
  }
}

void LibuvConnection::onShutdown(RelayStream& stream, int status) {
  if (status < 0) {
    onWriteFailed(stream, status);
    return;
  }
  (&stream == client_.get() ? client_shut_ : upstream_shut_) = true;
  finishIfBothDirectionsDone();
}

void LibuvConnection::finishIfBothDirectionsDone() {
  if (client_eof_ && upstream_shut_ && upstream_eof_ && client_shut_) {
    end(RelayEnd::Kind::kClosed, "closed", RelayStream::Close::kGraceful);
  }
}

void LibuvConnection::clientFailed(int status) {
  const std::string what =
      isReset(status) ? "reset by the client"
                      : absl::StrCat("the client connection failed: ", uv_strerror(status));
  // Before the upstream answered, a client that goes away is an ordinary end, not a broken relay.
  if (answered_) {
    end(RelayEnd::Kind::kError, what, RelayStream::Close::kReset);
  } else {
    end(RelayEnd::Kind::kClosed, absl::StrCat("the client went away (", what, ")"),
        RelayStream::Close::kReset);
  }
}

void LibuvConnection::upstreamFailed(int status) {
  const std::string what =
      isReset(status)
          ? absl::StrCat("reset by the upstream ", upstream_endpoint_)
          : absl::StrCat("the upstream ", upstream_endpoint_, " failed: ", uv_strerror(status));
  if (answered_) {
    end(RelayEnd::Kind::kError, what, RelayStream::Close::kReset);
  } else {
    upstreamGaveUp(absl::StrCat(what, " before it answered"));
  }
}

// The upstream failed before its first byte: the client is kept for another relayTo() while all
// it sent is still in the replay buffer; otherwise the connection is over.
void LibuvConnection::upstreamGaveUp(std::string reason) {
  if (!replay_.replayable()) {
    end(RelayEnd::Kind::kUpstreamFailed, std::move(reason), RelayStream::Close::kReset);
    return;
  }
  upstream_.reset();
  client_->stopReading();
  client_paused_ = false;
  state_ = State::kAwaitingReplay;
  report(endOf(RelayEnd::Kind::kUpstreamFailed, std::move(reason), true));
}

RelayEnd LibuvConnection::endOf(RelayEnd::Kind kind, std::string reason, bool replayable) const {
  return RelayEnd{.kind = kind,
                  .reason = std::move(reason),
                  .upstream_answered = answered_,
                  .replayable = replayable,
                  .bytes_in = bytes_in_,
                  .bytes_out = bytes_out_};
}

void LibuvConnection::end(RelayEnd::Kind kind, std::string reason, RelayStream::Close how) {
  const RelayEnd result = endOf(kind, std::move(reason), false);
  state_ = State::kEnded;
  client_->close(how);
  if (upstream_) {
    upstream_->close(how);
  }
  report(result);
}

void LibuvConnection::report(const RelayEnd& result) {
  // Moved out first: on_end may call relayTo() again, which sets a new one.
  std::function<void(const RelayEnd&)> on_end = std::move(on_end_);
  on_end_ = nullptr;
  if (on_end) {
    on_end(result);
  }
}

void LibuvConnection::reportLater(RelayEnd result) {
  // Failures found inside relayTo() come before any client byte was read, so they leave the
  // connection replayable; should one not, the connection ends as end() would end it.
  if (result.replayable) {
    state_ = State::kAwaitingReplay;
  } else {
    state_ = State::kEnded;
    client_->close(RelayStream::Close::kReset);
  }
  if (!deferred_) {
    deferred_ = std::make_unique<DeferredCall>(loop_);
  }
  deferred_->post([this, result = std::move(result)] { report(result); });
}

}  // namespace pfd::relay
