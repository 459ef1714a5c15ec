#pragma once

#include "daemon/event/dispatcher.h"
#include "daemon/probe/prober.h"
#include "daemon/process/process_launcher.h"

namespace pfd::probe {

// exec probes: runs spec.command (an argv, never through a shell) with the launcher; success
// when it exits with code 0. A command still running at spec.timeout is killed with its whole
// process group. A failure names the exit code (or signal) and the command's last output line.
//
// Probes in flight do not depend on the prober, but the launcher must outlive them.
class ExecProber : public Prober {
 public:
  // Output lines longer than this are cut before they reach a probe message.
  static constexpr size_t kMaxMessageLineBytes = 256;

  ExecProber(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher);

  ProbeHandlePtr run(const core::ProbeSpec& spec, const std::string& address,
                     std::function<void(ProbeResult)> done) override;

 private:
  event::Dispatcher& dispatcher_;
  process::ProcessLauncher& launcher_;
};

}  // namespace pfd::probe
