#include "daemon/probe/loop_timer.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace pfd::probe {

struct LoopTimer::Handle {
  uv_timer_t timer;
  std::function<void()> callback;
};

LoopTimer::LoopTimer(uv_loop_t* loop) : handle_(new Handle{}) {
  // uv_timer_init cannot fail for a valid loop.
  uv_timer_init(loop, &handle_->timer);
  handle_->timer.data = handle_;
}

LoopTimer::~LoopTimer() {
  uv_timer_stop(&handle_->timer);
  handle_->callback = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->timer),
           [](uv_handle_t* timer) { delete static_cast<Handle*>(timer->data); });
}

void LoopTimer::start(std::chrono::milliseconds delay, std::function<void()> callback) {
  handle_->callback = std::move(callback);
  const auto millis = static_cast<uint64_t>(std::max<int64_t>(delay.count(), 0));
  uv_timer_start(&handle_->timer, &LoopTimer::onFire, millis, 0);
}

void LoopTimer::stop() {
  uv_timer_stop(&handle_->timer);
  handle_->callback = nullptr;
}

void LoopTimer::onFire(uv_timer_t* timer) {
  auto* handle = static_cast<Handle*>(timer->data);
  // Moved out first: the callback may destroy the LoopTimer (and re-arm nothing), and a
  // std::function must not be destroyed while it runs.
  std::function<void()> callback = std::move(handle->callback);
  handle->callback = nullptr;
  if (callback) {
    callback();
  }
}

}  // namespace pfd::probe
