#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

namespace pfd::relay::testing {

// An echo server on the test's loop, on 127.0.0.1 and a port the kernel chose: each connection
// gets back every byte it sent, then a FIN once the client's own FIN came and all is written.
// Each session frees itself when it closes; destroying the server closes only the listener.
class LoopEchoServer {
 public:
  explicit LoopEchoServer(uv_loop_t* loop);
  ~LoopEchoServer();
  LoopEchoServer(const LoopEchoServer&) = delete;
  LoopEchoServer& operator=(const LoopEchoServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  struct Listener;
  Listener* listener_;
  uint16_t port_ = 0;
};

// What a LoopEchoClient saw; the test keeps it until the client is done.
struct EchoResult {
  bool done = false;
  std::string received;
  int error = 0;  // the libuv error that ended the exchange, 0 for EOF
};

// Connects to 127.0.0.1:port on the loop, sends `payload`, half-closes, and reads until EOF into
// *result, then closes and frees itself.
void startEchoClient(uv_loop_t* loop, uint16_t port, std::string payload, EchoResult* result);

}  // namespace pfd::relay::testing
