// pfd-relay-hop: the relay alone, for bench/relay.py. Listens on 127.0.0.1 (port 0), prints the
// port, and relays every connection to 127.0.0.1:UPSTREAM_PORT with LibuvRelay, the way pfd's
// held ports will relay to kubectl, on one libuv loop. Runs until SIGTERM or SIGINT.
//
//   pfd-relay-hop UPSTREAM_PORT [REPLAY_BUFFER]     (REPLAY_BUFFER: bytes, default 65536, as pfd)
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/relay/libuv_relay.h"

namespace {

struct Hop {
  uv_loop_t* loop = nullptr;
  std::unique_ptr<pfd::relay::LibuvRelay> relay;
  pfd::relay::ListenerPtr listener;
  std::unordered_map<pfd::relay::Connection*, pfd::relay::ConnectionPtr> live;
  // Ended connections, destroyed on the next loop turn (never inside their own on_end).
  std::vector<pfd::relay::ConnectionPtr> ended;
  uint16_t upstream_port = 0;
  size_t replay_buffer = 64 * 1024;
};

void accept(Hop& hop, pfd::relay::ConnectionPtr connection) {
  pfd::relay::Connection* raw = connection.get();
  hop.live.emplace(raw, std::move(connection));
  raw->relayTo("127.0.0.1", hop.upstream_port, {.replay_buffer = hop.replay_buffer},
               [&hop, raw](const pfd::relay::RelayEnd& end) {
                 if (end.kind != pfd::relay::RelayEnd::Kind::kClosed) {
                   std::fprintf(stderr, "pfd-relay-hop: %s: %s\n", raw->peer().c_str(),
                                end.reason.c_str());
                 }
                 auto found = hop.live.find(raw);
                 hop.ended.push_back(std::move(found->second));
                 hop.live.erase(found);
               });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || std::atoi(argv[1]) <= 0 || std::atoi(argv[1]) > 65535) {
    std::fprintf(stderr, "usage: pfd-relay-hop UPSTREAM_PORT [REPLAY_BUFFER]\n");
    return 64;
  }
  std::signal(SIGPIPE, SIG_IGN);
  Hop hop;
  hop.upstream_port = static_cast<uint16_t>(std::atoi(argv[1]));
  if (argc == 3) {
    hop.replay_buffer = std::strtoull(argv[2], nullptr, 10);
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  hop.loop = &loop;

  absl::StatusOr<std::unique_ptr<pfd::relay::LibuvRelay>> relay =
      pfd::relay::LibuvRelay::create(&loop);
  if (!relay.ok()) {
    std::fprintf(stderr, "pfd-relay-hop: %s\n", std::string(relay.status().message()).c_str());
    return 1;
  }
  hop.relay = *std::move(relay);
  absl::StatusOr<pfd::relay::ListenerPtr> listener = hop.relay->listen(
      "127.0.0.1", 0,
      [&hop](pfd::relay::ConnectionPtr connection) { accept(hop, std::move(connection)); });
  if (!listener.ok()) {
    std::fprintf(stderr, "pfd-relay-hop: %s\n", std::string(listener.status().message()).c_str());
    return 1;
  }
  hop.listener = *std::move(listener);
  std::printf("%u\n", hop.listener->port());
  std::fflush(stdout);

  uv_check_t reaper;
  uv_check_init(&loop, &reaper);
  reaper.data = &hop;
  uv_check_start(&reaper, [](uv_check_t* check) { static_cast<Hop*>(check->data)->ended.clear(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&reaper));

  uv_signal_t signals[2];
  for (int i = 0; i < 2; ++i) {
    uv_signal_init(&loop, &signals[i]);
    signals[i].data = &hop;
    uv_signal_start(
        &signals[i],
        [](uv_signal_t* signal, int) {
          auto* stopping = static_cast<Hop*>(signal->data);
          stopping->listener.reset();
          stopping->live.clear();
          uv_stop(signal->loop);
        },
        i == 0 ? SIGTERM : SIGINT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);

  hop.ended.clear();
  hop.live.clear();
  hop.listener.reset();
  for (uv_signal_t& signal : signals) {
    uv_close(reinterpret_cast<uv_handle_t*>(&signal), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&reaper), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return 0;
}
