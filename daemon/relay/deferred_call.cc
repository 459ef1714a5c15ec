#include "daemon/relay/deferred_call.h"

#include <utility>

namespace pfd::relay {

struct DeferredCall::Handle {
  uv_timer_t timer;
  std::function<void()> function;
};

DeferredCall::DeferredCall(uv_loop_t* loop) : handle_(new Handle{}) {
  // uv_timer_init cannot fail for a valid loop.
  uv_timer_init(loop, &handle_->timer);
  handle_->timer.data = handle_;
}

DeferredCall::~DeferredCall() {
  uv_timer_stop(&handle_->timer);
  handle_->function = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->timer),
           [](uv_handle_t* timer) { delete static_cast<Handle*>(timer->data); });
}

void DeferredCall::post(std::function<void()> function) {
  handle_->function = std::move(function);
  uv_timer_start(&handle_->timer, &DeferredCall::onFire, 0, 0);
}

void DeferredCall::onFire(uv_timer_t* timer) {
  auto* handle = static_cast<Handle*>(timer->data);
  // Moved out first: the function may destroy its DeferredCall, and a std::function must not be
  // destroyed while it runs.
  std::function<void()> function = std::move(handle->function);
  handle->function = nullptr;
  if (function) {
    function();
  }
}

}  // namespace pfd::relay
