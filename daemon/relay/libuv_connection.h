#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "daemon/relay/deferred_call.h"
#include "daemon/relay/relay.h"
#include "daemon/relay/relay_limits.h"
#include "daemon/relay/relay_stream.h"
#include "daemon/relay/replay_buffer.h"

namespace pfd::relay {

// An accepted client connection and, once relayTo() was called, its upstream: the byte relay
// between the two. Bytes read from one side are written to the other from the same buffer;
// reading a side pauses while the other side's queued writes are over the high watermark
// (RelayLimits); an EOF becomes a shutdown of the other side once its queued writes are out.
//
// bytesIn() counts the client bytes the current upstream has taken: a relayTo() after a
// replayable failure starts it again from 0, and the replayed bytes count again as the new
// upstream takes them, so that at the end it is the client's stream as delivered, once.
class LibuvConnection : public Connection, private RelayStream::Callbacks {
 public:
  LibuvConnection(uv_loop_t* loop, std::unique_ptr<RelayStream> client, const RelayLimits& limits);
  ~LibuvConnection() override;
  LibuvConnection(const LibuvConnection&) = delete;
  LibuvConnection& operator=(const LibuvConnection&) = delete;

  const std::string& peer() const override { return peer_; }
  uint64_t bytesIn() const override { return bytes_in_; }
  uint64_t bytesOut() const override { return bytes_out_; }
  uint64_t bytesRead(Direction direction) const override;
  void setTap(ConnectionTap* tap) override { tap_ = tap; }
  void relayTo(const std::string& host, uint16_t port, const RelayOptions& options,
               std::function<void(const RelayEnd&)> on_end) override;

  // Memory held by writes queued to the client and the upstream now, and the most held at once
  // by either since the connection was accepted (for tests and status).
  size_t queuedBytes() const;
  size_t peakQueuedBytes() const { return peak_queued_; }

 private:
  enum class State {
    kHeld,            // accepted, nothing read
    kConnecting,      // relayTo() called, the upstream's connect under way
    kRelaying,        // bytes move
    kAwaitingReplay,  // the upstream failed before answering; the client is untouched
    kEnded,           // on_end ran (or is about to); both sides closed
  };

  // RelayStream::Callbacks
  void onConnected(RelayStream& stream, int status) override;
  void onRead(RelayStream& stream, RelayBuffer buffer, size_t length) override;
  void onReadEnd(RelayStream& stream, int status) override;
  void onWritten(RelayStream& stream, size_t bytes) override;
  void onWriteFailed(RelayStream& stream, int status) override;
  void onShutdown(RelayStream& stream, int status) override;

  void startRelaying();
  // Writes to `to` and counts what it took at once; false if the write failed, in which case the
  // connection has ended and the caller must return without touching it.
  bool forward(RelayStream& to, RelayBuffer buffer, size_t length, uint64_t& delivered);
  void pauseReadingIfFull(RelayStream& from, RelayStream& to, bool& paused);
  void resumeReadingIfDrained(RelayStream& from, RelayStream& to, bool& paused, bool at_eof);
  void finishIfBothDirectionsDone();

  void clientFailed(int status);
  void upstreamFailed(int status);
  void upstreamGaveUp(std::string reason);

  RelayEnd endOf(RelayEnd::Kind kind, std::string reason, bool replayable) const;
  // Both report once and must be the caller's last action: on_end may call relayTo() again.
  void end(RelayEnd::Kind kind, std::string reason, RelayStream::Close how);
  void report(const RelayEnd& result);
  void reportLater(RelayEnd result);

  uv_loop_t* loop_;
  RelayLimits limits_;
  std::unique_ptr<RelayStream> client_;
  std::unique_ptr<RelayStream> upstream_;
  std::unique_ptr<DeferredCall> deferred_;  // created on first use
  std::string peer_;
  std::string upstream_endpoint_;
  std::function<void(const RelayEnd&)> on_end_;
  ConnectionTap* tap_ = nullptr;  // pfctl tap; null on the hot path unless someone taps
  ReplayBuffer replay_;
  State state_ = State::kHeld;
  bool replay_on_eof_ = false;  // replay_buffer > 0: an upstream EOF before answering is a failure
  bool answered_ = false;
  bool client_eof_ = false;       // read from the client (survives a replay)
  bool upstream_eof_ = false;     // read from the upstream
  bool upstream_shut_ = false;    // the client's EOF passed on to the upstream
  bool client_shut_ = false;      // the upstream's EOF passed on to the client
  bool client_paused_ = false;    // reading the client waits for the upstream's queue to drain
  bool upstream_paused_ = false;  // and the other way round
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  size_t peak_queued_ = 0;
};

}  // namespace pfd::relay
