#include "daemon/core/cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "daemon/core/wording.h"
#include "spdlog/spdlog.h"

namespace pfd::core {

Cluster::Cluster(ClusterHub& hub, ClusterKey key)
    : hub_(hub),
      key_(std::move(key)),
      since_(hub.dispatcher().systemTime()),
      check_timer_(hub.dispatcher().createTimer([this] { onCheckTimer(); })) {}

Cluster::~Cluster() = default;

std::string Cluster::contextName() const {
  return key_.context.empty() ? context_name_ : key_.context;
}

std::string Cluster::contextPhrase() const {
  const std::string name = contextName();
  return name.empty() ? "the current context" : absl::StrCat("context ", name);
}

std::string Cluster::downText() const {
  absl::string_view reason = reason_;
  absl::ConsumePrefix(&reason, "API server unreachable: ");
  return absl::StrCat("API server unreachable (", contextPhrase(), "): ", reason);
}

std::optional<event::SystemTime> Cluster::nextCheck() const {
  if (health_ != ClusterHealth::kDown) {
    return std::nullopt;
  }
  event::Dispatcher& dispatcher = hub_.dispatcher();
  if (!check_timer_->enabled()) {
    return dispatcher.systemTime();  // one is under way
  }
  return dispatcher.systemTime() + (next_check_at_ - dispatcher.monotonicTime());
}

size_t Cluster::waiting() const {
  size_t forwards = 0;
  for (const auto& [id, waiter] : waiters_) {
    forwards += waiter.callbacks.forward ? 1 : 0;
  }
  return forwards;
}

Cluster::WaitPtr Cluster::addWaiter(WaitCallbacks callbacks) {
  const uint64_t id = next_waiter_++;
  waiters_[id] = Waiter{std::move(callbacks)};
  return std::make_unique<Wait>(*this, id, hub_.alive_);
}

void Cluster::removeWaiter(uint64_t id) { waiters_.erase(id); }

Cluster::WaitPtr Cluster::suspect(const std::string& reason, WaitCallbacks callbacks) {
  WaitPtr wait = addWaiter(std::move(callbacks));
  if (health_ == ClusterHealth::kUp) {
    reason_ = reason;
    setHealth(ClusterHealth::kChecking);
    if (checks_.empty()) {
      startCheck();
    }
  }
  return wait;
}

Cluster::WaitPtr Cluster::waitIfNotUp(WaitCallbacks callbacks) {
  if (health_ == ClusterHealth::kUp) {
    return nullptr;
  }
  return addWaiter(std::move(callbacks));
}

void Cluster::checkNow(const std::string& why) {
  spdlog::debug("checking the API server of {}: {}", contextPhrase(), why);
  if (checks_.size() >= hub_.options().max_checks_in_flight) {
    recheck_ = true;  // the answers in flight may predate the change
    return;
  }
  startCheck();
}

void Cluster::startCheck() {
  recheck_ = false;
  const uint64_t id = next_check_id_++;
  const event::MonotonicTime started = hub_.dispatcher().monotonicTime();
  next_check_at_ = started + hub_.options().check_interval;
  checks_[id] = hub_.checker().check(key_, [this, id](ClusterCheckResult result) {
    // The check is inside its own callback: release it on the next turn.
    auto it = checks_.find(id);
    if (it == checks_.end()) {
      return;  // let go when the cluster came up: an older answer says nothing new
    }
    hub_.dispatcher().post([released = std::move(it->second)] {});
    checks_.erase(it);
    onChecked(result, id);
  });
  if (health_ == ClusterHealth::kDown && slow_checks_ == 0) {
    // The next cheap check goes out on time whether or not this one answers by then.
    check_timer_->enable(hub_.options().check_interval);
  }
}

void Cluster::onCheckTimer() {
  if (health_ == ClusterHealth::kUp && !recheck_) {
    return;
  }
  if (checks_.size() >= hub_.options().max_checks_in_flight) {
    return;  // the next answer schedules the next check
  }
  startCheck();
}

void Cluster::checkAfterChange(const std::string& why, std::function<void(bool differs)> done) {
  after_change_.push_back(AfterChange{.first_check = next_check_id_,
                                      .was_up = up(),
                                      .local_address = local_address_,
                                      .done = std::move(done)});
  checkNow(why);
}

void Cluster::onChecked(const ClusterCheckResult& result, uint64_t check_id) {
  if (!result.context.empty()) {
    context_name_ = result.context;
  }
  std::vector<std::function<void()>> settled;
  for (auto it = after_change_.begin(); it != after_change_.end();) {
    if (it->first_check > check_id) {
      ++it;
      continue;
    }
    const bool differs =
        it->was_up != result.up || (!it->local_address.empty() && !result.local_address.empty() &&
                                    it->local_address != result.local_address);
    settled.push_back([done = std::move(it->done), differs] { done(differs); });
    it = after_change_.erase(it);
  }
  if (!result.local_address.empty()) {
    local_address_ = result.local_address;
  }
  applyAnswer(result);
  // After the health says what this answer says: forwards restarted for it then wait for a
  // cluster that went down.
  for (auto& tell : settled) {
    tell();
  }
}

void Cluster::applyAnswer(const ClusterCheckResult& result) {
  if (result.up) {
    if (health_ != ClusterHealth::kUp) {
      becomeUp();
    }
  } else if (health_ == ClusterHealth::kDown) {
    reason_ = result.reason;
    slow_checks_ = result.used_kubectl ? slow_checks_ + 1 : 0;
  } else {
    slow_checks_ = result.used_kubectl ? 1 : 0;
    becomeDown(result);
  }
  if (recheck_) {
    check_timer_->enable(Milliseconds(0));
  } else if (health_ == ClusterHealth::kDown && (checks_.empty() || slow_checks_ == 0)) {
    scheduleCheck();
  }
}

void Cluster::scheduleCheck() {
  const ClusterHub::Options& options = hub_.options();
  event::Dispatcher& dispatcher = hub_.dispatcher();
  if (slow_checks_ > 0) {
    // kubectl had to tell (the server answers, our credentials or its readiness do not): no
    // need to ask every second, that costs a kubectl each time.
    Milliseconds delay = options.check_interval;
    for (int i = 1; i < slow_checks_ && delay < options.max_check_interval; ++i) {
      delay *= 2;
    }
    next_check_at_ = dispatcher.monotonicTime() + std::min(delay, options.max_check_interval);
  }
  const auto delay = std::max(Milliseconds(0), std::chrono::duration_cast<Milliseconds>(
                                                   next_check_at_ - dispatcher.monotonicTime()));
  check_timer_->enable(delay);
}

void Cluster::becomeDown(const ClusterCheckResult& result) {
  reason_ = result.reason;
  setHealth(ClusterHealth::kDown);
  const std::string text = downText();
  const size_t forwards = waiting();
  spdlog::warn("{}; {} waiting for it, checking every {}", text,
               forwards == 1 ? std::string("1 forward") : absl::StrCat(forwards, " forwards"),
               formatDelay(hub_.options().check_interval));
  std::vector<std::function<void(const std::string&)>> told;
  for (auto& [id, waiter] : waiters_) {
    if (waiter.callbacks.on_down) {
      told.push_back(waiter.callbacks.on_down);
    }
  }
  for (auto& on_down : told) {
    on_down(text);
  }
}

void Cluster::becomeUp() {
  const bool was_down = health_ == ClusterHealth::kDown;
  const auto down_for = hub_.dispatcher().systemTime() - since_;
  setHealth(ClusterHealth::kUp);
  slow_checks_ = 0;
  check_timer_->disable();
  recheck_ = false;
  // Older checks still in flight (a hung server's) have nothing left to say.
  hub_.dispatcher().post([released = std::move(checks_)] {});
  checks_.clear();
  const size_t forwards = waiting();
  std::map<uint64_t, Waiter> waiters = std::move(waiters_);
  waiters_.clear();
  if (was_down) {
    spdlog::info("API server of {} answers again after {} down: starting {}", contextPhrase(),
                 formatDelay(std::chrono::duration_cast<Milliseconds>(down_for)),
                 forwards == 1 ? std::string("1 forward") : absl::StrCat(forwards, " forwards"));
  }
  for (auto& [id, waiter] : waiters) {
    if (waiter.callbacks.on_up) {
      waiter.callbacks.on_up(was_down);
    }
  }
}

void Cluster::setHealth(ClusterHealth health) {
  if (health_ == health) {
    return;
  }
  health_ = health;
  since_ = hub_.dispatcher().systemTime();
}

void Cluster::release() {
  if (--users_ == 0) {
    hub_.drop(key_);
  }
}

ClusterRef::~ClusterRef() {
  if (!hub_alive_.expired()) {
    cluster_.release();
  }
}

ClusterHub::ClusterHub(event::Dispatcher& dispatcher, ClusterChecker& checker, Options options)
    : dispatcher_(dispatcher), checker_(checker), options_(options) {}

ClusterHub::~ClusterHub() = default;

ClusterRefPtr ClusterHub::acquire(const ClusterKey& key) {
  auto& cluster = clusters_[key];
  if (cluster == nullptr) {
    cluster = std::make_unique<Cluster>(*this, key);
  }
  cluster->users_++;
  return std::make_unique<ClusterRef>(*cluster, alive_);
}

void ClusterHub::drop(const ClusterKey& key) {
  auto it = clusters_.find(key);
  if (it == clusters_.end()) {
    return;
  }
  // Possibly inside one of its own callbacks: destroyed on the next turn.
  dispatcher_.post([released = std::move(it->second)] {});
  clusters_.erase(it);
}

const Cluster* ClusterHub::find(const ClusterKey& key) const {
  auto it = clusters_.find(key);
  return it == clusters_.end() ? nullptr : it->second.get();
}

std::vector<const Cluster*> ClusterHub::clusters() const {
  std::vector<const Cluster*> out;
  for (const auto& [key, cluster] : clusters_) {
    out.push_back(cluster.get());
  }
  return out;
}

void ClusterHub::checkAll(const std::string& why,
                          std::function<void(const Cluster& cluster, bool differs)> after) {
  for (auto& [key, cluster] : clusters_) {
    if (!after) {
      cluster->checkNow(why);
      continue;
    }
    Cluster* raw = cluster.get();
    cluster->checkAfterChange(why, [raw, after](bool differs) { after(*raw, differs); });
  }
}

}  // namespace pfd::core
