// How a tunnel becomes READY: kubectl's lines, a command's ports accepting connections, and the
// readiness probe. The rest of its life is in tunnel.cc.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/core/child_command.h"
#include "daemon/core/kubectl_output.h"
#include "daemon/core/tunnel.h"

namespace pfd::core {
namespace {

// kubectl's --address may be a list or a wildcard; probes need one address to dial.
std::string probeAddress(const std::string& address) {
  std::string first = address.substr(0, address.find(','));
  if (first == "0.0.0.0" || first == "localhost" || first.empty()) {
    return "127.0.0.1";
  }
  if (first == "::") {
    return "::1";
  }
  return first;
}

}  // namespace

void Tunnel::onLine(process::OutputStream stream, std::string_view line) {
  std::optional<KubectlLine> parsed;
  if (!spec_.isCommand()) {
    parsed = classifyKubectlLine(absl::string_view(line.data(), line.size()), pod_);
    if (parsed->kind == KubectlLine::Kind::kConnection) {
      observer_.onTunnelConnectionLine(*this, line);
      return;
    }
  }
  observer_.onTunnelOutput(
      *this, LogLine{.time = context_.dispatcher.systemTime(),
                     .source = stream == process::OutputStream::kStdout ? LogLine::Source::kStdout
                                                                        : LogLine::Source::kStderr,
                     .text = std::string(line)});
  if (spec_.isCommand()) {
    // Any program may serve a command forward; its last complaint is the best reason we have.
    if (stream == process::OutputStream::kStderr && !line.empty()) {
      run_error_ = std::string(line);
    }
    return;
  }
  switch (parsed->kind) {
    case KubectlLine::Kind::kForwarding:
      onForwarding(parsed->local_port, parsed->local_port);
      break;
    case KubectlLine::Kind::kBroken:
      onBrokenLine(parsed->reason, parsed->port_in_use, parsed->local_port);
      break;
    case KubectlLine::Kind::kError:
      run_error_ = parsed->reason;
      break;
    case KubectlLine::Kind::kConnection:
    case KubectlLine::Kind::kOther:
      break;
  }
}

void Tunnel::onBrokenLine(std::string reason, bool port_in_use, uint16_t port) {
  if (refine_with_kubectl_) {
    // Being replaced because a probe failed, most likely on this very breakage: kubectl's first
    // account says why ("app not listening on port 8000 in pod web-1"); the ones after it
    // (kubectl < 1.31 then says "lost connection to pod") say less.
    refine_with_kubectl_ = false;
    ending_->reason = std::move(reason);
    return;
  }
  if (phase_ == Phase::kBroken || phase_ == Phase::kEnded) {
    return;
  }
  breakDown(TunnelCause::kBroken, reason);
  ending_->port_in_use = port_in_use;
  ending_->port = port;
}

void Tunnel::onForwarding(uint16_t local_port, uint16_t listening_port) {
  if (phase_ != Phase::kStarting) {
    return;
  }
  if (spec_.holdsPorts()) {
    // kubectl prints one line per port, in the order they were given, each with the ephemeral
    // port it took for it.
    for (uint16_t& upstream : upstream_ports_) {
      if (upstream == 0) {
        upstream = listening_port;
        break;
      }
    }
    bool all = true;
    for (uint16_t upstream : upstream_ports_) {
      all = all && upstream != 0;
    }
    if (all) {
      onAllPortsForwarding();
    }
    return;
  }
  bool known = false;
  for (const PortSpec& port : spec_.ports) {
    known = known || port.local == local_port;
  }
  if (!known) {
    return;
  }
  forwarding_.insert(local_port);
  if (forwarding_.size() == spec_.ports.size()) {
    onAllPortsForwarding();
  }
}

void Tunnel::onAllPortsForwarding() {
  start_deadline_->disable();
  port_check_timer_->disable();
  for (auto& check : port_checks_) {
    context_.dispatcher.post([released = std::move(check)] {});
  }
  port_checks_.clear();
  if (!spec_.readiness.has_value()) {
    becomeReady();
    return;
  }
  phase_ = Phase::kProbing;
  startProbe();
}

void Tunnel::startProbe() {
  ProbeSpec probe = *spec_.readiness;
  std::string address = probeAddress(spec_.address);
  if (spec_.holdsPorts()) {
    // The probe checks this kubectl, not whichever one the held port relays to right now: a new
    // run is probed while an old one still serves.
    address = kUpstreamAddress;
    for (size_t i = 0; i < spec_.ports.size(); ++i) {
      if (probe.kind != ProbeSpec::Kind::kExec && spec_.ports[i].local == probe.port) {
        probe.port = upstream_ports_[i];
      }
      probe.environment.emplace_back(absl::StrCat("PFD_UPSTREAM_PORT_", spec_.ports[i].local),
                                     std::to_string(upstream_ports_[i]));
    }
    probe.environment.emplace_back("PFD_UPSTREAM_PORT", std::to_string(upstream_ports_.front()));
  }
  const Milliseconds phase(static_cast<Milliseconds::rep>(
      context_.random() * static_cast<double>(probe.period.count())));
  note("ports forwarding; waiting for the readiness probe");
  std::weak_ptr<bool> alive = alive_;
  probe_session_ = std::make_unique<ProbeSession>(
      probe, address, context_.dispatcher, context_.prober,
      options_.probe_on_phase ? ProbeSession::FirstProbe::kOnPhase
                              : ProbeSession::FirstProbe::kAtOnce,
      phase,
      ProbeSession::Callbacks{
          .on_ready =
              [this, alive] {
                if (!alive.expired() && phase_ == Phase::kProbing) {
                  becomeReady();
                }
              },
          .on_unhealthy =
              [this, alive](const std::string& reason) {
                // A child already being replaced (kubectl broke, and the probe only saw that) is
                // not unhealthy.
                if (alive.expired() || (phase_ != Phase::kProbing && phase_ != Phase::kReady)) {
                  return;
                }
                breakDown(TunnelCause::kUnhealthy, reason);
                refine_with_kubectl_ = true;
              },
          .on_result =
              [this, alive](const ProbeStatus& status, bool changed) {
                if (alive.expired() || (phase_ != Phase::kProbing && phase_ != Phase::kReady)) {
                  return;
                }
                probe_status_ = status;
                observer_.onTunnelProbe(*this, status, changed);
              }});
}

void Tunnel::becomeReady() {
  phase_ = Phase::kReady;
  observer_.onTunnelReady(*this);
}

void Tunnel::checkCommandPorts() {
  for (auto& check : port_checks_) {
    context_.dispatcher.post([released = std::move(check)] {});
  }
  port_checks_.clear();
  std::weak_ptr<bool> alive = alive_;
  for (const PortSpec& port : spec_.ports) {
    if (forwarding_.contains(port.local)) {
      continue;
    }
    ProbeSpec check{.kind = ProbeSpec::Kind::kTcpSocket,
                    .port = port.local,
                    .timeout = context_.port_check_interval};
    const uint16_t local = port.local;
    port_checks_.push_back(context_.prober.run(
        check, probeAddress(spec_.address), [this, alive, local](const probe::ProbeResult& result) {
          if (!alive.expired() && result.success) {
            onForwarding(local, local);
          }
        }));
  }
  if (phase_ == Phase::kStarting) {
    port_check_timer_->enable(context_.port_check_interval);
  }
}

}  // namespace pfd::core
