#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "absl/functional/any_invocable.h"

namespace pfd::event {

using MonotonicTime = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual MonotonicTime monotonicTime() const = 0;
  virtual SystemTime systemTime() const = 0;
};

// A one-shot timer owned by the loop. Destroying it cancels it; its callback never runs after.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void enable(std::chrono::milliseconds delay) = 0;  // re-arms if already enabled
  virtual void disable() = 0;
  virtual bool enabled() const = 0;
};
using TimerPtr = std::unique_ptr<Timer>;

// The event loop that owns all daemon state. Everything but post() must be called on the loop
// thread; post() is how other threads (gRPC) hand work to it.
class Dispatcher : public TimeSource {
 public:
  // Thread-safe. Callbacks run on the loop thread in the order they were posted. Move-only
  // captures are fine, so post([owned = std::move(ptr)] {}) is how an object that must outlive the
  // current callback (a deferred delete) is released on the next turn of the loop.
  virtual void post(absl::AnyInvocable<void() &&> callback) = 0;
  virtual TimerPtr createTimer(std::function<void()> callback) = 0;
};

}  // namespace pfd::event
