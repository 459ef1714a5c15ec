// How a run of a forward becomes READY: kubectl's lines, a command forward's ports accepting
// connections, and the readiness probe. The rest of the life cycle is in forward.cc.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/core/child_command.h"
#include "daemon/core/forward.h"
#include "daemon/core/kubectl_output.h"
#include "spdlog/spdlog.h"

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

void Forward::onLine(process::OutputStream stream, std::string_view line) {
  LogLine log_line{.time = context_.dispatcher.systemTime(),
                   .source = stream == process::OutputStream::kStdout ? LogLine::Source::kStdout
                                                                      : LogLine::Source::kStderr,
                   .text = std::string(line)};
  logs_.append(log_line);
  observer_.onLogLine(*this, log_line);
  spdlog::debug("{}| {}", spec_.name, log_line.text);

  if (spec_.isCommand()) {
    // Any program may serve a command forward; its last complaint is the best reason we have.
    if (stream == process::OutputStream::kStderr && !line.empty()) {
      run_error_ = std::string(line);
    }
    return;
  }
  KubectlLine parsed = classifyKubectlLine(absl::string_view(line.data(), line.size()), pod_);
  switch (parsed.kind) {
    case KubectlLine::Kind::kForwarding:
      onPortForwarding(parsed.local_port);
      break;
    case KubectlLine::Kind::kBroken: {
      std::string reason = parsed.reason;
      if (parsed.port_in_use && context_.describe_port_owner) {
        std::string owner = context_.describe_port_owner(spec_.address, parsed.local_port);
        if (!owner.empty()) {
          absl::StrAppend(&reason, " by ", owner);
        }
      }
      if (killed_for_probe_) {
        // Being replaced because a probe failed, most likely on this very breakage: kubectl's
        // first account says why ("app not listening on port 8000 in pod web-1"); the ones after
        // it (kubectl < 1.31 then says "lost connection to pod") say less.
        killed_for_probe_ = false;
        pending_reason_ = reason;
        recordError(reason);
      } else {
        failChild(reason);
      }
      break;
    }
    case KubectlLine::Kind::kError:
      run_error_ = parsed.reason;
      recordError(parsed.reason);
      break;
    case KubectlLine::Kind::kConnection:
    case KubectlLine::Kind::kOther:
      break;
  }
}

void Forward::onPortForwarding(uint16_t port) {
  bool known = false;
  for (const PortSpec& spec_port : spec_.ports) {
    known = known || spec_port.local == port;
  }
  if (!known || state_ != ForwardState::kStarting || terminating_) {
    return;
  }
  forwarding_ports_.insert(port);
  if (forwarding_ports_.size() == spec_.ports.size()) {
    onAllPortsForwarding();
  }
}

void Forward::onAllPortsForwarding() {
  start_deadline_timer_->disable();
  port_check_timer_->disable();
  for (auto& check : port_checks_) {
    releaseLater(std::move(check));
  }
  port_checks_.clear();
  if (!spec_.readiness.has_value()) {
    becomeReady();
    return;
  }
  ProbeSpec probe = *spec_.readiness;
  // Only the first run waits for its phase: that is when many forwards start together.
  const Milliseconds phase(static_cast<Milliseconds::rep>(
      context_.random() * static_cast<double>(probe.period.count())));
  const auto first =
      first_probe_ ? ProbeSession::FirstProbe::kOnPhase : ProbeSession::FirstProbe::kAtOnce;
  first_probe_ = false;
  note(absl::StrCat("ports forwarding; waiting for the readiness probe"));
  probe_session_ = std::make_unique<ProbeSession>(
      probe, probeAddress(spec_.address), context_.dispatcher, context_.prober, first, phase,
      ProbeSession::Callbacks{.on_ready =
                                  [this, run = run_] {
                                    if (run == run_) {
                                      becomeReady();
                                    }
                                  },
                              .on_unhealthy =
                                  [this, run = run_](const std::string& reason) {
                                    // A child already being replaced (kubectl broke, and the
                                    // probe only saw that) is not UNHEALTHY.
                                    if (run != run_ || terminating_) {
                                      return;
                                    }
                                    setState(ForwardState::kUnhealthy, reason);
                                    failChild(reason);
                                    killed_for_probe_ = true;
                                  },
                              .on_result =
                                  [this, run = run_](const ProbeStatus& status, bool changed) {
                                    if (run != run_) {
                                      return;
                                    }
                                    probe_status_ = status;
                                    if (changed) {
                                      std::string text =
                                          absl::StrCat("readiness probe ",
                                                       status.result.success ? "passed" : "failed",
                                                       ": ", status.result.message);
                                      note(text);
                                      observer_.onProbeChanged(*this, text);
                                      if (status.result.success) {
                                        spdlog::info("{}: {}", spec_.name, text);
                                      } else {
                                        spdlog::warn("{}: {}", spec_.name, text);
                                      }
                                    }
                                  }});
}

void Forward::becomeReady() {
  if (state_ == ForwardState::kReady || terminating_ || child_ == nullptr) {
    return;
  }
  ready_since_ = context_.dispatcher.monotonicTime();
  setState(ForwardState::kReady, absl::StrCat("forwarding ", formatPorts(spec_.ports)));
}

void Forward::checkCommandPorts() {
  for (auto& check : port_checks_) {
    releaseLater(std::move(check));
  }
  port_checks_.clear();
  for (const PortSpec& port : spec_.ports) {
    if (forwarding_ports_.contains(port.local)) {
      continue;
    }
    ProbeSpec check{.kind = ProbeSpec::Kind::kTcpSocket,
                    .port = port.local,
                    .timeout = context_.port_check_interval};
    const uint16_t local = port.local;
    port_checks_.push_back(
        context_.prober.run(check, probeAddress(spec_.address),
                            [this, local, run = run_](const probe::ProbeResult& result) {
                              if (run != run_) {
                                return;
                              }
                              if (result.success) {
                                onPortForwarding(local);
                              }
                            }));
  }
  if (state_ == ForwardState::kStarting) {
    port_check_timer_->enable(context_.port_check_interval);
  }
}

std::string Forward::takenCommandPort() const {
  if (!spec_.isCommand() || !context_.describe_port_owner) {
    return "";
  }
  // kubectl says when it cannot bind; a command forward's readiness is a connection to its
  // ports, which would reach whoever already holds them.
  for (const PortSpec& port : spec_.ports) {
    std::string owner = context_.describe_port_owner(spec_.address, port.local);
    if (!owner.empty()) {
      return absl::StrCat("local port ", port.local, " is already in use by ", owner);
    }
  }
  return "";
}

}  // namespace pfd::core
