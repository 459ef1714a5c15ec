#pragma once

#include <uv.h>

#include <memory>

#include "daemon/probe/prober.h"
#include "daemon/process/process_launcher.h"

namespace pfd::probe {

// The one Prober the daemon hands to its forwards: sends each spec to the prober for its kind.
class ProberSet : public Prober {
 public:
  ProberSet(ProberPtr http, ProberPtr tcp, ProberPtr exec);

  // The production set: HTTP, TCP and exec probers on `loop`; `launcher` must outlive it.
  static std::unique_ptr<ProberSet> createForLoop(uv_loop_t* loop,
                                                  process::ProcessLauncher& launcher);

  ProbeHandlePtr run(const core::ProbeSpec& spec, const std::string& address,
                     std::function<void(ProbeResult)> done) override;

 private:
  ProberPtr http_;
  ProberPtr tcp_;
  ProberPtr exec_;
};

}  // namespace pfd::probe
