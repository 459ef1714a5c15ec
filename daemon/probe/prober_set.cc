#include "daemon/probe/prober_set.h"

#include <utility>

#include "daemon/probe/exec_prober.h"
#include "daemon/probe/http_prober.h"
#include "daemon/probe/tcp_prober.h"

namespace pfd::probe {

ProberSet::ProberSet(ProberPtr http, ProberPtr tcp, ProberPtr exec)
    : http_(std::move(http)), tcp_(std::move(tcp)), exec_(std::move(exec)) {}

std::unique_ptr<ProberSet> ProberSet::createForLoop(event::LibuvDispatcher& dispatcher,
                                                    process::ProcessLauncher& launcher) {
  return std::make_unique<ProberSet>(std::make_unique<HttpProber>(dispatcher),
                                     std::make_unique<TcpProber>(dispatcher),
                                     std::make_unique<ExecProber>(dispatcher, launcher));
}

ProbeHandlePtr ProberSet::run(const core::ProbeSpec& spec, const std::string& address,
                              std::function<void(ProbeResult)> done) {
  switch (spec.kind) {
    case core::ProbeSpec::Kind::kHttpGet:
      return http_->run(spec, address, std::move(done));
    case core::ProbeSpec::Kind::kTcpSocket:
      return tcp_->run(spec, address, std::move(done));
    case core::ProbeSpec::Kind::kExec:
      return exec_->run(spec, address, std::move(done));
  }
  // Unreachable for a valid Kind; TCP is Kubernetes' simplest check and never runs user code.
  return tcp_->run(spec, address, std::move(done));
}

}  // namespace pfd::probe
