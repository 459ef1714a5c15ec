#include "daemon/core/port_holder.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "daemon/core/child_command.h"
#include "daemon/core/wording.h"

namespace pfd::core {
std::vector<std::string> listenAddresses(const std::string& address) {
  std::vector<std::string> addresses;
  for (absl::string_view part : absl::StrSplit(address, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    if (part == "localhost") {
      addresses.emplace_back("127.0.0.1");
      addresses.emplace_back("::1");
    } else {
      addresses.emplace_back(part);
    }
  }
  return addresses;
}

PortHolder::PortHolder(event::Dispatcher& dispatcher, relay::Relay& relay, Callbacks callbacks,
                       TapHub* taps)
    : dispatcher_(dispatcher),
      relay_(relay),
      callbacks_(std::move(callbacks)),
      taps_(taps),
      hold_timer_(dispatcher.createTimer([this] { dropExpired(); })) {
  if (taps_ != nullptr) {
    taps_->setOnChange([this] { applyTaps(); });
  }
}

PortHolder::~PortHolder() {
  if (taps_ != nullptr) {
    taps_->setOnChange(nullptr);
  }
  // Connections outlive this object by a turn (released later): none may call a tap that goes.
  for (auto& [key, relayed] : active_) {
    relayed.connection->setTap(nullptr);
  }
}

bool PortHolder::boundFor(const ForwardSpec& spec) const {
  return complete_ && !listeners_.empty() && bound_address_ == spec.address &&
         bound_ports_ == spec.ports && hold_timeout_ == spec.hold_timeout &&
         replay_buffer_ == spec.replay_buffer;
}

std::optional<PortHolder::BindFailure> PortHolder::bind(const ForwardSpec& spec) {
  hold_timeout_ = spec.hold_timeout;
  replay_buffer_ = spec.replay_buffer;
  bound_address_ = spec.address;
  bound_ports_ = spec.ports;
  local_ports_.clear();
  std::set<std::pair<std::string, uint16_t>> wanted;
  for (const PortSpec& port : spec.ports) {
    local_ports_.push_back(port.local);
    for (const std::string& address : listenAddresses(spec.address)) {
      wanted.emplace(address, port.local);
    }
  }
  std::erase_if(listeners_, [&](const auto& entry) { return !wanted.contains(entry.first); });
  complete_ = false;
  // "localhost" is bound like kubectl binds it: one of its two addresses is enough (a machine
  // without IPv6 has no ::1).
  const bool localhost = absl::StrContains(spec.address, "localhost");
  std::optional<BindFailure> failure;
  for (const auto& [address, port] : wanted) {
    if (listeners_.contains({address, port})) {
      continue;
    }
    size_t port_index = 0;
    while (local_ports_[port_index] != port) {
      port_index++;
    }
    auto listener = relay_.listen(address, port, [this, port_index](relay::ConnectionPtr c) {
      onAccept(port_index, std::move(c));
    });
    if (listener.ok()) {
      listeners_.emplace(std::make_pair(address, port), std::move(*listener));
      continue;
    }
    if (localhost && address == "::1" && absl::IsUnavailable(listener.status())) {
      continue;
    }
    if (!failure.has_value()) {
      failure = BindFailure{.address = address, .port = port, .status = listener.status()};
    }
  }
  complete_ = !failure.has_value();
  return failure;
}

void PortHolder::release() {
  listeners_.clear();
  complete_ = false;
  bound_ports_.clear();
  totals_.dropped += held_.size();
  for (Waiting& waiting : held_) {
    tapClosed(*waiting.connection, waiting.identity, 0, 0, "closed: the forward stopped");
    releaseLater(std::move(waiting.connection));
  }
  held_.clear();
  hold_timer_->disable();
  for (auto& [key, relayed] : active_) {
    totals_.bytes_in += relayed.connection->bytesIn();
    totals_.bytes_out += relayed.connection->bytesOut();
    tapClosed(*relayed.connection, relayed.identity, relayed.connection->bytesIn(),
              relayed.connection->bytesOut(), "closed: the forward stopped");
    relayed.connection->setTap(nullptr);
    releaseLater(std::move(relayed.connection));
  }
  active_.clear();
  per_upstream_.clear();
  mode_ = Mode::kHold;
}

void PortHolder::serve(Upstream upstream) {
  mode_ = Mode::kServe;
  upstream_ = std::move(upstream);
  relayWaiting();
}

void PortHolder::relayWaiting() {
  if (mode_ != Mode::kServe) {
    return;
  }
  const event::MonotonicTime now = dispatcher_.monotonicTime();
  std::list<Waiting> waiting = std::move(held_);
  held_.clear();
  for (Waiting& entry : waiting) {
    if (entry.avoid_upstream == upstream_.id) {
      held_.push_back(std::move(entry));  // still in order: the list was
      continue;
    }
    hold_times_.record(std::chrono::duration_cast<Milliseconds>(now - entry.since));
    if (entry.replay) {
      totals_.replayed++;
    }
    relay(std::move(entry.connection), entry.identity, entry.port_index);
  }
  armHoldTimer();
}

void PortHolder::hold() {
  if (mode_ == Mode::kHold) {
    return;
  }
  mode_ = Mode::kHold;
  upstream_ = Upstream{};
}

void PortHolder::refuse(const std::string& reason) {
  mode_ = Mode::kRefuse;
  refuse_reason_ = reason;
  upstream_ = Upstream{};
  hold_timer_->disable();
  if (held_.empty()) {
    return;
  }
  dropped(absl::StrCat(connectionCount(held_.size()), " waiting for a kubectl closed: ", reason));
  totals_.dropped += held_.size();
  for (Waiting& waiting : held_) {
    tapClosed(*waiting.connection, waiting.identity, 0, 0, absl::StrCat("closed: ", reason));
    releaseLater(std::move(waiting.connection));
  }
  held_.clear();
}

void PortHolder::touch() {
  last_activity_ = dispatcher_.monotonicTime();
  last_activity_system_ = dispatcher_.systemTime();
}

void PortHolder::onAccept(size_t port_index, relay::ConnectionPtr connection) {
  totals_.accepted++;
  touch();
  const Identity identity{.number = totals_.accepted,
                          .local_port = local_ports_.at(port_index),
                          .accepted = dispatcher_.monotonicTime()};
  if (taps_ != nullptr && !taps_->empty()) {
    taps_->publish(TapConnectionEvent{.kind = TapConnectionEvent::Kind::kOpened,
                                      .connection = identity.number,
                                      .peer = connection->peer(),
                                      .local_port = identity.local_port,
                                      .time = dispatcher_.systemTime()});
  }
  switch (mode_) {
    case Mode::kServe:
      relay(std::move(connection), identity, port_index);
      return;
    case Mode::kRefuse:
      totals_.dropped++;
      callbacks_.note(
          absl::StrCat("connection from ", connection->peer(), " closed: ", refuse_reason_));
      tapClosed(*connection, identity, 0, 0, absl::StrCat("closed: ", refuse_reason_));
      releaseLater(std::move(connection));
      return;
    case Mode::kHold:
      break;
  }
  if (hold_timeout_.count() == 0) {
    totals_.dropped++;
    callbacks_.note(absl::StrCat("connection from ", connection->peer(),
                                 " closed: no kubectl serves and holdTimeout is 0s"));
    tapClosed(*connection, identity, 0, 0, "closed: no kubectl serves and holdTimeout is 0s");
    releaseLater(std::move(connection));
    return;
  }
  held_.push_back(Waiting{.connection = std::move(connection),
                          .identity = identity,
                          .port_index = port_index,
                          .since = dispatcher_.monotonicTime()});
  if (!hold_timer_->enabled()) {
    armHoldTimer();
  }
  if (callbacks_.on_waiting) {
    callbacks_.on_waiting();
  }
}

void PortHolder::relay(relay::ConnectionPtr connection, Identity identity, size_t port_index) {
  const uint64_t key = next_key_++;
  relay::Connection& raw = *connection;
  per_upstream_[upstream_.id]++;
  auto [it, inserted] = active_.emplace(key, Relayed{.connection = std::move(connection),
                                                     .identity = identity,
                                                     .port_index = port_index,
                                                     .upstream_id = upstream_.id});
  if (taps_ != nullptr && !taps_->empty()) {
    applyTap(it->second);
  }
  raw.relayTo(kUpstreamAddress, upstream_.ports.at(port_index),
              relay::RelayOptions{.replay_buffer = replay_buffer_},
              [this, key](const relay::RelayEnd& end) { onRelayEnd(key, end); });
}

void PortHolder::onRelayEnd(uint64_t key, const relay::RelayEnd& end) {
  auto it = active_.find(key);
  if (it == active_.end()) {
    return;
  }
  Relayed ended = std::move(it->second);
  active_.erase(it);
  // The tap goes with this entry; the connection is released a turn later.
  ended.connection->setTap(nullptr);
  auto count = per_upstream_.find(ended.upstream_id);
  if (count != per_upstream_.end() && --count->second == 0) {
    per_upstream_.erase(count);
  }
  touch();
  const bool replay = end.kind == relay::RelayEnd::Kind::kUpstreamFailed && end.replayable &&
                      !end.upstream_answered && replay_buffer_ > 0 && mode_ != Mode::kRefuse &&
                      hold_timeout_.count() > 0;
  if (replay) {
    // Nothing reached the application: kubectl could not deliver it. It waits again, like a new
    // connection, for another kubectl; relayTo() is not called from inside its own callback.
    held_.push_back(Waiting{.connection = std::move(ended.connection),
                            .identity = ended.identity,
                            .port_index = ended.port_index,
                            .since = dispatcher_.monotonicTime(),
                            .avoid_upstream = ended.upstream_id,
                            .replay = true});
    dispatcher_.post([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) {
        relayWaiting();
      }
    });
    armHoldTimer();
  } else {
    totals_.bytes_in += end.bytes_in;
    totals_.bytes_out += end.bytes_out;
    if (end.kind != relay::RelayEnd::Kind::kClosed) {
      totals_.failed++;
    }
    tapClosed(*ended.connection, ended.identity, end.bytes_in, end.bytes_out,
              end.kind == relay::RelayEnd::Kind::kClosed ? end.reason
                                                         : absl::StrCat("failed: ", end.reason));
    // The connection is inside its own callback.
    releaseLater(std::move(ended.connection));
  }
  if (callbacks_.on_upstream_idle && connectionsOn(ended.upstream_id) == 0) {
    callbacks_.on_upstream_idle(ended.upstream_id);
  }
}

void PortHolder::dropExpired() {
  const event::MonotonicTime now = dispatcher_.monotonicTime();
  uint64_t expired = 0;
  while (!held_.empty() && now - held_.front().since >= hold_timeout_) {
    tapClosed(*held_.front().connection, held_.front().identity, 0, 0,
              absl::StrCat("closed: no kubectl served within ", formatDelay(hold_timeout_),
                           " (holdTimeout)"));
    releaseLater(std::move(held_.front().connection));
    held_.pop_front();
    expired++;
  }
  if (expired > 0) {
    totals_.dropped += expired;
    dropped(absl::StrCat(connectionCount(expired), " waited ", formatDelay(hold_timeout_),
                         " (holdTimeout) and no kubectl served: closed"));
  }
  armHoldTimer();
}

void PortHolder::dropped(const std::string& text) {
  callbacks_.note(text);
  if (callbacks_.on_dropped) {
    callbacks_.on_dropped(text);
  }
}

void PortHolder::armHoldTimer() {
  if (held_.empty()) {
    hold_timer_->disable();
    return;
  }
  const auto due = held_.front().since + hold_timeout_;
  hold_timer_->enable(std::max(Milliseconds(0),
                               std::chrono::ceil<Milliseconds>(due - dispatcher_.monotonicTime())));
}

void PortHolder::releaseLater(relay::ConnectionPtr connection) {
  dispatcher_.post([released = std::move(connection)] {});
}

void PortHolder::applyTaps() {
  for (auto& [key, relayed] : active_) {
    applyTap(relayed);
  }
}

void PortHolder::applyTap(Relayed& relayed) {
  if (!taps_->wantsBytes(relayed.identity.local_port)) {
    relayed.connection->setTap(nullptr);
    relayed.tapping = false;
    return;
  }
  if (relayed.tapping) {
    return;
  }
  relayed.tapping = true;
  if (relayed.tapped == nullptr) {
    relayed.tapped =
        std::make_unique<TappedConnection>(*taps_, dispatcher_, relayed.identity.number,
                                           relayed.identity.local_port, relayed.connection->peer());
  }
  relayed.tapped->resync(*relayed.connection);
  relayed.connection->setTap(relayed.tapped.get());
}

void PortHolder::tapClosed(const relay::Connection& connection, const Identity& identity,
                           uint64_t bytes_in, uint64_t bytes_out, const std::string& reason) {
  if (taps_ == nullptr || taps_->empty()) {
    return;
  }
  taps_->publish(TapConnectionEvent{.kind = TapConnectionEvent::Kind::kClosed,
                                    .connection = identity.number,
                                    .peer = connection.peer(),
                                    .local_port = identity.local_port,
                                    .time = dispatcher_.systemTime(),
                                    .bytes_in = bytes_in,
                                    .bytes_out = bytes_out,
                                    .duration = std::chrono::duration_cast<Milliseconds>(
                                        dispatcher_.monotonicTime() - identity.accepted),
                                    .reason = reason});
}

ConnectionCounters PortHolder::counters() const {
  ConnectionCounters counters = totals_;
  counters.active = active_.size();
  counters.held = held_.size();
  for (const auto& [key, relayed] : active_) {
    counters.bytes_in += relayed.connection->bytesIn();
    counters.bytes_out += relayed.connection->bytesOut();
  }
  counters.hold_p50 = hold_times_.quantile(0.5);
  counters.hold_p99 = hold_times_.quantile(0.99);
  return counters;
}

size_t PortHolder::connectionsOn(uint64_t upstream_id) const {
  auto it = per_upstream_.find(upstream_id);
  return it == per_upstream_.end() ? 0 : it->second;
}

}  // namespace pfd::core
