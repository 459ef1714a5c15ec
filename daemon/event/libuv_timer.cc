#include "daemon/event/libuv_timer.h"

#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "daemon/event/libuv_dispatcher.h"

namespace pfd::event {

struct LibuvTimer::Handle {
  uv_timer_t uv;
  std::function<void()> callback;
  // Null once the dispatcher has closed the handle on shutdown.
  LibuvDispatcher* dispatcher;
  bool owner_alive = true;
  bool closed = false;
};

namespace {

void onTimer(uv_timer_t* uv) {
  auto* handle = static_cast<LibuvTimer::Handle*>(uv->data);
  // The block outlives a timer destroyed inside its own callback (freed in onClosed), so the
  // callback object stays valid while it runs.
  handle->callback();
}

void onClosed(uv_handle_t* uv) {
  auto* handle = static_cast<LibuvTimer::Handle*>(uv->data);
  handle->closed = true;
  if (!handle->owner_alive) {
    delete handle;
  }
}

}  // namespace

LibuvTimer::LibuvTimer(LibuvDispatcher& dispatcher, std::function<void()> callback)
    : handle_(new Handle{.uv = {}, .callback = std::move(callback), .dispatcher = &dispatcher}) {
  // uv_timer_init cannot fail: it only fills in the struct.
  uv_timer_init(dispatcher.loop(), &handle_->uv);
  handle_->uv.data = handle_;
  dispatcher.registerTimer(handle_);
}

LibuvTimer::~LibuvTimer() {
  handle_->owner_alive = false;
  if (handle_->dispatcher != nullptr) {
    handle_->dispatcher->unregisterTimer(handle_);
    uv_timer_stop(&handle_->uv);
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->uv), onClosed);
  } else if (handle_->closed) {
    delete handle_;
  }
  // Otherwise the dispatcher's shutdown is closing it and onClosed frees the block.
}

void LibuvTimer::enable(std::chrono::milliseconds delay) {
  if (handle_->dispatcher == nullptr) {
    return;
  }
  const auto timeout = static_cast<uint64_t>(std::max<int64_t>(delay.count(), 0));
  // Restarting an active uv timer re-arms it, which is what enable() promises.
  uv_timer_start(&handle_->uv, onTimer, timeout, 0);
}

void LibuvTimer::disable() {
  if (handle_->dispatcher == nullptr) {
    return;
  }
  uv_timer_stop(&handle_->uv);
}

bool LibuvTimer::enabled() const {
  return handle_->dispatcher != nullptr &&
         uv_is_active(reinterpret_cast<const uv_handle_t*>(&handle_->uv)) != 0;
}

void LibuvTimer::closeOnShutdown(Handle* handle) {
  handle->dispatcher = nullptr;
  uv_timer_stop(&handle->uv);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle->uv), onClosed);
}

}  // namespace pfd::event
