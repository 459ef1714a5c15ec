#pragma once

#include <chrono>
#include <functional>

#include "daemon/event/dispatcher.h"

namespace pfd::event {

class LibuvDispatcher;

// A Timer over uv_timer_t. libuv needs the handle until its close callback has run, which is
// after this object is gone, so the handle lives in a separate heap block (Handle) that frees
// itself. The callback lives there too, so a callback may destroy its own timer.
class LibuvTimer : public Timer {
 public:
  struct Handle;

  LibuvTimer(LibuvDispatcher& dispatcher, std::function<void()> callback);
  ~LibuvTimer() override;
  LibuvTimer(const LibuvTimer&) = delete;
  LibuvTimer& operator=(const LibuvTimer&) = delete;

  void enable(std::chrono::milliseconds delay) override;
  void disable() override;
  bool enabled() const override;

  // For the dispatcher's shutdown: closes the handle of a timer that is still alive, after which
  // the timer never fires and its methods do nothing.
  static void closeOnShutdown(Handle* handle);

 private:
  Handle* handle_;
};

}  // namespace pfd::event
