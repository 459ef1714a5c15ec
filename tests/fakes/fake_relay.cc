#include "tests/fakes/fake_relay.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace pfd::testing {
namespace {

class FakeRelayConnection : public relay::Connection {
 public:
  explicit FakeRelayConnection(FakeConnectionPtr state) : state_(std::move(state)) {}
  ~FakeRelayConnection() override {
    state_->closed = true;
    state_->tap = nullptr;
    state_->on_end = nullptr;
  }

  const std::string& peer() const override { return state_->peer; }
  uint64_t bytesIn() const override { return state_->bytes_in; }
  uint64_t bytesOut() const override { return state_->bytes_out; }
  uint64_t bytesRead(relay::Direction direction) const override {
    return direction == relay::Direction::kToUpstream ? state_->bytes_in : state_->bytes_out;
  }
  void setTap(relay::ConnectionTap* tap) override { state_->tap = tap; }
  void relayTo(const std::string& host, uint16_t port, const relay::RelayOptions& options,
               std::function<void(const relay::RelayEnd&)> on_end) override {
    state_->relay_calls++;
    state_->upstream_host = host;
    state_->upstream_port = port;
    state_->options = options;
    state_->on_end = std::move(on_end);
  }

 private:
  FakeConnectionPtr state_;
};

}  // namespace

class FakeListener : public relay::Listener {
 public:
  FakeListener(FakeRelay& relay, std::string address, uint16_t port)
      : relay_(relay), address_(std::move(address)), port_(port) {}
  ~FakeListener() override { relay_.listeners_.erase({address_, port_}); }
  uint16_t port() const override { return port_; }

 private:
  FakeRelay& relay_;
  std::string address_;
  uint16_t port_;
};

void FakeConnection::end(relay::RelayEnd end) {
  if (on_end) {
    auto callback = on_end;
    callback(end);
  }
}

void FakeConnection::move(relay::Direction direction, const std::string& bytes) {
  if (tap != nullptr) {
    tap->onRelayed(direction, bytes.data(), bytes.size());
  }
  (direction == relay::Direction::kToUpstream ? bytes_in : bytes_out) += bytes.size();
}

absl::StatusOr<relay::ListenerPtr> FakeRelay::listen(const std::string& address, uint16_t port,
                                                     AcceptCallback on_accept) {
  listen_calls_++;
  if (occupied_.contains({address, port}) || listeners_.contains({address, port})) {
    return absl::AlreadyExistsError(
        absl::StrCat("local port ", port, " on ", address, " is already in use"));
  }
  listeners_[{address, port}] = std::move(on_accept);
  return std::make_unique<FakeListener>(*this, address, port);
}

bool FakeRelay::listening(const std::string& address, uint16_t port) const {
  return listeners_.contains({address, port});
}

FakeConnectionPtr FakeRelay::connect(const std::string& address, uint16_t port) {
  auto it = listeners_.find({address, port});
  if (it == listeners_.end()) {
    return nullptr;
  }
  auto state = std::make_shared<FakeConnection>();
  state->peer = absl::StrCat("127.0.0.1:", next_peer_port_++);
  state->local_port = port;
  connections_.push_back(state);
  AcceptCallback accept = it->second;  // the callback may close the listener
  accept(std::make_unique<FakeRelayConnection>(state));
  return state;
}

}  // namespace pfd::testing
