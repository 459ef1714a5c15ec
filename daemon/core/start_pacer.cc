#include "daemon/core/start_pacer.h"

#include <algorithm>
#include <utility>

namespace pfd::core {

class StartPacer::Ticket : public PacedStart {
 public:
  Ticket(StartPacer& pacer, uint64_t id) : pacer_(pacer), id_(id) {}
  ~Ticket() override { pacer_.cancel(id_); }

 private:
  StartPacer& pacer_;
  uint64_t id_;
};

StartPacer::StartPacer(event::Dispatcher& dispatcher, Milliseconds interval)
    : dispatcher_(dispatcher),
      interval_(interval),
      timer_(dispatcher.createTimer([this] { onTimer(); })) {}

StartPacer::~StartPacer() = default;

PacedStartPtr StartPacer::schedule(std::function<void()> start) {
  const event::MonotonicTime now = dispatcher_.monotonicTime();
  if (queue_.empty() && (!last_start_.has_value() || now - *last_start_ >= interval_)) {
    last_start_ = now;
    start();
    return nullptr;
  }
  const uint64_t id = next_id_++;
  queue_.push_back(Entry{id, std::move(start)});
  if (!timer_->enabled()) {
    const auto since = last_start_.has_value() ? now - *last_start_ : interval_;
    timer_->enable(
        std::max(Milliseconds(0), interval_ - std::chrono::duration_cast<Milliseconds>(since)));
  }
  return std::make_unique<Ticket>(*this, id);
}

void StartPacer::onTimer() {
  if (queue_.empty()) {
    return;
  }
  Entry entry = std::move(queue_.front());
  queue_.pop_front();
  last_start_ = dispatcher_.monotonicTime();
  if (!queue_.empty()) {
    timer_->enable(interval_);
  }
  entry.start();  // may schedule or cancel others: the queue is consistent already
}

void StartPacer::cancel(uint64_t id) {
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [id](const Entry& entry) { return entry.id == id; });
  if (it != queue_.end()) {
    queue_.erase(it);
  }
  if (queue_.empty()) {
    timer_->disable();
  }
}

}  // namespace pfd::core
