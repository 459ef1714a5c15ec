#pragma once

#include <deque>
#include <functional>
#include <utility>

#include "daemon/event/dispatcher.h"
#include "grpcpp/grpcpp.h"

namespace pfd::rpc {

// A server-streaming reactor fed from the loop. gRPC calls its On* methods on its own threads;
// each of them only posts to the loop, where all of the writer's state lives. One write is in
// flight at a time; messages sent meanwhile wait in a queue.
//
// Lifetime: gRPC calls OnDone last, after Finish; the posted `delete this` then runs after every
// closure posted before it (the loop runs posts in order), so no posted closure outlives it.
template <typename Message>
class LoopStreamWriter : public grpc::ServerWriteReactor<Message> {
 public:
  // A reader that does not keep up is dropped rather than letting the daemon's memory grow.
  static constexpr size_t kMaxQueued = 10000;

  explicit LoopStreamWriter(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  // Loop thread only.
  void send(Message message) {
    if (finishing_) {
      return;
    }
    if (queue_.size() >= kMaxQueued) {
      finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "the stream fell too far behind; reconnect"));
      return;
    }
    queue_.push_back(std::move(message));
    writeNext();
  }

  // Loop thread only. Ends the stream once the queued messages are written.
  void finish(grpc::Status status) {
    if (finishing_) {
      return;
    }
    finishing_ = true;
    final_status_ = std::move(status);
    if (on_finishing_) {
      auto on_finishing = std::move(on_finishing_);
      on_finishing_ = nullptr;
      on_finishing();
    }
    if (!final_status_.ok()) {
      queue_.clear();
    }
    writeNext();
  }

  // Loop thread only. Nothing is being written or waits to be: a producer that batches (a tap)
  // sends its next message now.
  bool idle() const { return !writing_ && queue_.empty() && !finishing_; }
  // Runs on the loop each time a write completed and the writer became idle; cleared by passing
  // nullptr (before whatever it points to goes).
  void setOnIdle(std::function<void()> callback) { on_idle_ = std::move(callback); }

  // Runs once, on the loop, when the stream starts finishing: detach from what feeds it.
  // Runs at once when the stream is already finishing (a snapshot too big for the queue ends it
  // before the caller gets here), so the caller's clean-up is never skipped.
  void setOnFinishing(std::function<void()> callback) {
    if (finishing_) {
      callback();
      return;
    }
    on_finishing_ = std::move(callback);
  }

 private:
  void writeNext() {
    if (writing_ || finished_) {
      return;
    }
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      this->StartWrite(&current_);
      return;
    }
    if (finishing_) {
      finished_ = true;
      this->Finish(final_status_);
    }
  }

  void OnWriteDone(bool ok) override {
    dispatcher_.post([this, ok] {
      writing_ = false;
      if (!ok) {
        finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
        queue_.clear();
      }
      writeNext();
      if (on_idle_ && idle()) {
        on_idle_();
      }
    });
  }

  void OnCancel() override {
    dispatcher_.post(
        [this] { finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client")); });
  }

  void OnDone() override {
    dispatcher_.post([this] { delete this; });
  }

  event::Dispatcher& dispatcher_;
  std::deque<Message> queue_;
  Message current_;
  bool writing_ = false;
  bool finishing_ = false;
  bool finished_ = false;
  grpc::Status final_status_;
  std::function<void()> on_finishing_;
  std::function<void()> on_idle_;
};

}  // namespace pfd::rpc
