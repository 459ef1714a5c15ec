#include "daemon/probe/tcp_prober.h"

#include <utility>

#include "daemon/probe/probe_connection.h"

namespace pfd::probe {

TcpProber::TcpProber(event::LibuvDispatcher& dispatcher) : dispatcher_(dispatcher) {}

ProbeHandlePtr TcpProber::run(const core::ProbeSpec& spec, const std::string& address,
                              std::function<void(ProbeResult)> done) {
  auto probe = std::make_unique<ProbeConnection>(dispatcher_, address, spec.port, spec.timeout,
                                                 std::move(done));
  // Closed again at once: that the connection was accepted is the whole check.
  probe->connect([connection = probe.get()] { connection->finish(true, "connected"); });
  return probe;
}

}  // namespace pfd::probe
