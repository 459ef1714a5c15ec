#include "daemon/core/target_prefetcher.h"

#include <algorithm>
#include <utility>

namespace pfd::core {

class TargetPrefetcher::Ticket : public PrefetchTicket {
 public:
  Ticket(TargetPrefetcher& owner, std::weak_ptr<bool> alive, Key key, uint64_t id)
      : owner_(owner), alive_(std::move(alive)), key_(std::move(key)), id_(id) {}
  ~Ticket() override {
    if (!alive_.expired()) {
      owner_.cancel(key_, id_);
    }
  }
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;

 private:
  TargetPrefetcher& owner_;
  std::weak_ptr<bool> alive_;
  Key key_;
  uint64_t id_;
};

TargetPrefetcher::TargetPrefetcher(event::Dispatcher& dispatcher,
                                   process::ProcessLauncher& launcher, size_t parallel)
    : dispatcher_(dispatcher), launcher_(launcher), parallel_(std::max<size_t>(parallel, 1)) {}

TargetPrefetcher::~TargetPrefetcher() = default;

PrefetchTicketPtr TargetPrefetcher::fetch(const ForwardSpec& spec, Done done) {
  Key key{spec.kubectl, spec.kubeconfig, spec.context, spec.namespace_name, spec.target};
  auto& entry = entries_[key];
  if (entry == nullptr) {
    entry = std::make_unique<Entry>();
    entry->spec = spec;
    queue_.push_back(key);
  }
  const uint64_t id = next_id_++;
  entry->waiters.emplace(id, std::move(done));
  startNext();
  return std::make_unique<Ticket>(*this, alive_, std::move(key), id);
}

void TargetPrefetcher::startNext() {
  while (running_ < parallel_ && !queue_.empty()) {
    Key key = queue_.front();
    queue_.pop_front();
    Entry& entry = *entries_.at(key);
    running_++;
    entry.resolver = std::make_unique<TargetResolver>(
        dispatcher_, launcher_, nullptr, entry.spec, entry.object,
        [this, key](absl::StatusOr<Resolution> result) { onFetched(key, result.ok()); });
    entry.resolver->fetchTarget();
  }
}

void TargetPrefetcher::onFetched(const Key& key, bool ok) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return;
  }
  std::unique_ptr<Entry> entry = std::move(it->second);
  entries_.erase(it);
  running_--;
  if (ok && entry->object.has_value()) {
    // A waiter may cancel another while being told: call from a copy.
    std::vector<Done> waiters;
    for (auto& [id, done] : entry->waiters) {
      waiters.push_back(done);
    }
    for (const Done& done : waiters) {
      done(*entry->object);
    }
  }
  // The resolver is inside its own callback: release it on the next turn.
  dispatcher_.post([released = std::move(entry)] {});
  startNext();
}

void TargetPrefetcher::cancel(const Key& key, uint64_t id) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return;
  }
  it->second->waiters.erase(id);
  if (!it->second->waiters.empty() || it->second->resolver != nullptr) {
    return;  // still wanted, or already running: its answer is simply dropped
  }
  std::erase(queue_, key);
  entries_.erase(it);
}

}  // namespace pfd::core
