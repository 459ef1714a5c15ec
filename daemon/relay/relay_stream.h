#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>

#include "daemon/relay/relay_buffer.h"

namespace pfd::relay {

// One side of a relayed connection (the client, or an upstream): a uv_tcp_t, its reads, its
// queued writes and its shutdown. libuv needs the handle until its close callback, which runs
// after this object is gone, so the handle and the requests live in a block (Handle) that frees
// itself there; once this object is destroyed or closed, nothing calls back into its owner.
//
// Every callback comes straight from a libuv callback, never from a method of this class, and the
// owner may destroy or close the stream (or the other stream) inside any of them.
class RelayStream {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    virtual void onConnected(RelayStream& stream, int status) = 0;
    // `length` bytes at the start of `buffer`; the owner takes the buffer (to write it on).
    virtual void onRead(RelayStream& stream, RelayBuffer buffer, size_t length) = 0;
    // UV_EOF, or the error that ended reading (UV_ECONNRESET, ...). Reading has stopped.
    virtual void onReadEnd(RelayStream& stream, int status) = 0;
    // A queued write finished: `bytes` more reached the socket, and queuedBytes() went down.
    virtual void onWritten(RelayStream& stream, size_t bytes) = 0;
    virtual void onWriteFailed(RelayStream& stream, int status) = 0;
    virtual void onShutdown(RelayStream& stream, int status) = 0;
  };

  enum class Close { kGraceful, kReset };

  explicit RelayStream(uv_loop_t* loop);
  ~RelayStream();  // closes gracefully if still open
  RelayStream(const RelayStream&) = delete;
  RelayStream& operator=(const RelayStream&) = delete;

  void setCallbacks(Callbacks* callbacks) { callbacks_ = callbacks; }

  // Takes the next connection of a listening handle; TCP_NODELAY is set on it.
  int accept(uv_stream_t* server);
  // Connects (TCP_NODELAY); onConnected() reports the outcome, unless this returns an error.
  int connect(const sockaddr* address);

  // Idempotent; reading stops by itself at the end of the stream.
  void startReading();
  void stopReading();
  bool reading() const;

  // Writes what the socket takes now and queues the rest, which keeps `buffer` until it is
  // written. Returns the bytes written now (onWritten() reports the rest), or a libuv error.
  int64_t write(RelayBuffer buffer, size_t length);
  // Half-closes after the queued writes; onShutdown() reports it, unless this returns an error.
  int shutdown();

  // The memory held by queued writes: each counts its whole buffer, not only the bytes it still
  // has to write, so that many small reads behind a stalled peer cannot hold more memory than the
  // watermarks allow.
  size_t queuedBytes() const;
  // The bytes queued writes still have to write (not their buffers' size). Kept only on the
  // queued path, so a write the socket takes at once costs nothing more.
  size_t queuedLength() const;

  // No callback runs after this; kReset sends a TCP reset (and drops queued writes) instead of a
  // FIN. Does nothing once closed.
  void close(Close how);
  bool open() const { return handle_ != nullptr; }

  const uv_tcp_t* tcp() const;

 private:
  struct Handle;
  struct WriteRequest;

  static void onAllocate(uv_handle_t* tcp, size_t suggested, uv_buf_t* buffer);
  static void onReadDone(uv_stream_t* tcp, ssize_t bytes, const uv_buf_t* buffer);
  static void onConnectDone(uv_connect_t* request, int status);
  static void onWriteDone(uv_write_t* request, int status);
  static void onShutdownDone(uv_shutdown_t* request, int status);
  static void onClosed(uv_handle_t* tcp);

  Handle* handle_;
  Callbacks* callbacks_ = nullptr;
};

}  // namespace pfd::relay
