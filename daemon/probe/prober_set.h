#pragma once

#include <memory>

#include "daemon/event/libuv_dispatcher.h"
#include "daemon/probe/prober.h"
#include "daemon/process/process_launcher.h"

namespace pfd::probe {

// The one Prober the daemon hands to its forwards: sends each spec to the prober for its kind.
class ProberSet : public Prober {
 public:
  ProberSet(ProberPtr http, ProberPtr tcp, ProberPtr exec);

  // The production set: HTTP, TCP and exec probers on the dispatcher's loop; `launcher` must
  // outlive it.
  static std::unique_ptr<ProberSet> createForLoop(event::LibuvDispatcher& dispatcher,
                                                  process::ProcessLauncher& launcher);

  ProbeHandlePtr run(const core::ProbeSpec& spec, const std::string& address,
                     std::function<void(ProbeResult)> done) override;

 private:
  ProberPtr http_;
  ProberPtr tcp_;
  ProberPtr exec_;
};

}  // namespace pfd::probe
