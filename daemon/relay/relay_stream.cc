#include "daemon/relay/relay_stream.h"

#include <memory>
#include <utility>

namespace pfd::relay {

struct RelayStream::Handle {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_shutdown_t shutdown;
  // Null once the stream is closed: requests still in flight then finish without a callback.
  RelayStream* owner = nullptr;
  size_t queued = 0;
  size_t queued_length = 0;
  bool reading = false;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }
};

struct RelayStream::WriteRequest {
  uv_write_t uv;
  RelayBuffer buffer;
  size_t length = 0;  // the part of the buffer this request still writes
};

RelayStream::RelayStream(uv_loop_t* loop) : handle_(new Handle{}) {
  // uv_tcp_init without a domain cannot fail: the socket is created on bind, connect or accept.
  uv_tcp_init(loop, &handle_->tcp);
  handle_->tcp.data = handle_;
  handle_->owner = this;
}

RelayStream::~RelayStream() { close(Close::kGraceful); }

int RelayStream::accept(uv_stream_t* server) {
  const int error = uv_accept(server, handle_->stream());
  if (error == 0) {
    // Only latency depends on it; a socket that refuses it still relays.
    uv_tcp_nodelay(&handle_->tcp, 1);
  }
  return error;
}

int RelayStream::connect(const sockaddr* address) {
  // Kept by libuv and applied when the socket is created below.
  uv_tcp_nodelay(&handle_->tcp, 1);
  handle_->connect.data = handle_;
  return uv_tcp_connect(&handle_->connect, &handle_->tcp, address, &RelayStream::onConnectDone);
}

void RelayStream::startReading() {
  if (handle_ == nullptr || handle_->reading) {
    return;
  }
  // Fails only on a handle that is closing or was never connected, which the owner never reads.
  if (uv_read_start(handle_->stream(), &RelayStream::onAllocate, &RelayStream::onReadDone) == 0) {
    handle_->reading = true;
  }
}

void RelayStream::stopReading() {
  if (handle_ == nullptr || !handle_->reading) {
    return;
  }
  uv_read_stop(handle_->stream());
  handle_->reading = false;
}

bool RelayStream::reading() const { return handle_ != nullptr && handle_->reading; }

int64_t RelayStream::write(RelayBuffer buffer, size_t length) {
  if (handle_ == nullptr) {
    return UV_EBADF;
  }
  // uv_try_write refuses (EAGAIN) while anything is queued, so bytes never overtake each other.
  uv_buf_t view = uv_buf_init(buffer.data(), static_cast<unsigned int>(length));
  int written = uv_try_write(handle_->stream(), &view, 1);
  if (written == UV_EAGAIN) {
    written = 0;
  } else if (written < 0) {
    return written;
  }
  const auto now = static_cast<size_t>(written);
  if (now == length) {
    return written;  // the common case: no request, and the buffer goes straight back
  }
  auto request = std::make_unique<WriteRequest>();
  request->length = length - now;
  request->buffer = std::move(buffer);
  uv_buf_t rest =
      uv_buf_init(request->buffer.data() + now, static_cast<unsigned int>(request->length));
  request->uv.data = request.get();
  const int error = uv_write(&request->uv, handle_->stream(), &rest, 1, &RelayStream::onWriteDone);
  if (error != 0) {
    return error;
  }
  handle_->queued += request->buffer.capacity();
  handle_->queued_length += request->length;
  static_cast<void>(request.release());  // freed in onWriteDone
  return written;
}

int RelayStream::shutdown() {
  if (handle_ == nullptr) {
    return UV_EBADF;
  }
  handle_->shutdown.data = handle_;
  return uv_shutdown(&handle_->shutdown, handle_->stream(), &RelayStream::onShutdownDone);
}

size_t RelayStream::queuedBytes() const { return handle_ == nullptr ? 0 : handle_->queued; }

size_t RelayStream::queuedLength() const { return handle_ == nullptr ? 0 : handle_->queued_length; }

void RelayStream::close(Close how) {
  if (handle_ == nullptr) {
    return;
  }
  Handle* handle = std::exchange(handle_, nullptr);
  handle->owner = nullptr;
  handle->reading = false;
  auto* uv = reinterpret_cast<uv_handle_t*>(&handle->tcp);
  // A reset needs a socket and no shutdown under way; otherwise the FIN of a plain close will do.
  if (how == Close::kReset && uv_tcp_close_reset(&handle->tcp, &RelayStream::onClosed) == 0) {
    return;
  }
  uv_close(uv, &RelayStream::onClosed);
}

const uv_tcp_t* RelayStream::tcp() const { return handle_ == nullptr ? nullptr : &handle_->tcp; }

void RelayStream::onAllocate(uv_handle_t* /*tcp*/, size_t /*suggested*/, uv_buf_t* buffer) {
  // Taken back by adopt() in onReadDone, which libuv calls right after every allocation.
  *buffer = uv_buf_init(RelayBuffer::standard().release(),
                        static_cast<unsigned int>(RelayBuffer::kStandardSize));
}

void RelayStream::onReadDone(uv_stream_t* tcp, ssize_t bytes, const uv_buf_t* buffer) {
  RelayBuffer owned;
  if (buffer != nullptr && buffer->base != nullptr) {
    owned = RelayBuffer::adopt(buffer->base, buffer->len);
  }
  auto* handle = static_cast<Handle*>(tcp->data);
  RelayStream* self = handle->owner;
  if (bytes == 0 || self == nullptr || self->callbacks_ == nullptr) {
    return;  // 0: nothing to read this time (EAGAIN)
  }
  if (bytes > 0) {
    self->callbacks_->onRead(*self, std::move(owned), static_cast<size_t>(bytes));
    return;
  }
  // libuv has stopped reading by itself, at the end of the stream and on an error alike.
  handle->reading = false;
  owned = RelayBuffer();
  self->callbacks_->onReadEnd(*self, static_cast<int>(bytes));
}

void RelayStream::onConnectDone(uv_connect_t* request, int status) {
  RelayStream* self = static_cast<Handle*>(request->data)->owner;
  if (self != nullptr && self->callbacks_ != nullptr) {
    self->callbacks_->onConnected(*self, status);
  }
}

void RelayStream::onWriteDone(uv_write_t* request, int status) {
  std::unique_ptr<WriteRequest> owned(static_cast<WriteRequest*>(request->data));
  auto* handle = static_cast<Handle*>(request->handle->data);
  handle->queued -= owned->buffer.capacity();
  handle->queued_length -= owned->length;
  const size_t bytes = owned->length;
  owned.reset();  // the buffer goes back to the pool before the owner reads into another one
  RelayStream* self = handle->owner;
  if (self == nullptr || self->callbacks_ == nullptr) {
    return;
  }
  if (status < 0) {
    self->callbacks_->onWriteFailed(*self, status);
  } else {
    self->callbacks_->onWritten(*self, bytes);
  }
}

void RelayStream::onShutdownDone(uv_shutdown_t* request, int status) {
  RelayStream* self = static_cast<Handle*>(request->data)->owner;
  if (self != nullptr && self->callbacks_ != nullptr) {
    self->callbacks_->onShutdown(*self, status);
  }
}

void RelayStream::onClosed(uv_handle_t* tcp) { delete static_cast<Handle*>(tcp->data); }

}  // namespace pfd::relay
