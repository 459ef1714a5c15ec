#pragma once

#include "daemon/event/libuv_dispatcher.h"
#include "daemon/probe/prober.h"

namespace pfd::probe {

// tcpSocket probes: success once a TCP connection to address:port is established (it is closed
// again at once), failure on refusal, any other connect error, or spec.timeout.
//
// Probes in flight do not depend on the prober; each owns its own uv handles (ProbeConnection).
class TcpProber : public Prober {
 public:
  explicit TcpProber(event::LibuvDispatcher& dispatcher);

  ProbeHandlePtr run(const core::ProbeSpec& spec, const std::string& address,
                     std::function<void(ProbeResult)> done) override;

 private:
  event::LibuvDispatcher& dispatcher_;
};

}  // namespace pfd::probe
