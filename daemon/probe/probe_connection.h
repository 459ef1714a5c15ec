#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "daemon/event/libuv_dispatcher.h"
#include "daemon/probe/probe_completion.h"
#include "daemon/probe/prober.h"

namespace pfd::probe {

// One probe's TCP connection to a forward's local port, for the probes that talk over TCP
// themselves (tcpSocket, plain-HTTP httpGet). It owns the probe's completion and timeout, and
// fails the probe on its own when the address is not an IP, the connection is refused or fails,
// or the timeout passes. Destroying it cancels the probe: `done` then never runs.
class ProbeConnection : public ProbeHandle {
 public:
  // libuv's nread: bytes read, UV_EOF when the peer closed, another negative code on an error.
  using ReadCallback = std::function<void(ssize_t bytes, const char* data)>;

  ProbeConnection(event::LibuvDispatcher& dispatcher, std::string address, uint16_t port,
                  std::chrono::milliseconds timeout, std::function<void(ProbeResult)> done);
  ~ProbeConnection() override;
  ProbeConnection(const ProbeConnection&) = delete;
  ProbeConnection& operator=(const ProbeConnection&) = delete;

  // Connects; `on_connected` runs on the loop once the connection is up. Nothing completes
  // inside this call, so a prober may call it from run().
  void connect(std::function<void()> on_connected);
  // After on_connected: sends `bytes` and hands every read to `on_read` until finish(). An error
  // starting either reaches `on_read` as a negative code.
  void exchange(std::string bytes, ReadCallback on_read);
  // Closes the connection, stops the timeout and runs `done`, which may destroy this object:
  // callers return at once.
  void finish(bool success, std::string message);

  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }

 private:
  // The uv handles and requests outlive this object until libuv has closed them; closing
  // cancels the requests, whose callbacks then find no owner.
  struct Handles;

  static void onConnect(uv_connect_t* request, int status);
  static void onRead(uv_stream_t* stream, ssize_t bytes, const uv_buf_t* buffer);
  void failLater(std::string message);
  void onTimer();
  void close();

  uv_loop_t* loop_;
  const std::string address_;
  const uint16_t port_;
  const std::chrono::milliseconds timeout_;
  ProbeCompletion completion_;
  // The timeout, or the next loop turn when a failure is known before anything was sent.
  event::TimerPtr timer_;
  std::optional<std::string> early_failure_;
  std::string local_address_;  // once connected
  Handles* handles_ = nullptr;
  std::function<void()> on_connected_;
  ReadCallback on_read_;
};

}  // namespace pfd::probe
