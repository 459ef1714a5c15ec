#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/probe/prober.h"

namespace pfd::testing {

struct FakeProbe {
  core::ProbeSpec spec;
  std::string address;
  std::function<void(probe::ProbeResult)> done;
  bool cancelled = false;
  bool completed = false;

  // Delivers the result unless the probe was cancelled or already answered.
  void complete(probe::ProbeResult result);
};
using FakeProbePtr = std::shared_ptr<FakeProbe>;

// A Prober whose probes wait until the test answers them.
class FakeProber : public probe::Prober {
 public:
  probe::ProbeHandlePtr run(const core::ProbeSpec& spec, const std::string& address,
                            std::function<void(probe::ProbeResult)> done) override;

  // Probes neither answered nor cancelled, oldest first.
  std::vector<FakeProbePtr> pending() const;
  // Answers every pending probe with `result`; returns how many there were.
  size_t completeAll(const probe::ProbeResult& result);
  const std::vector<FakeProbePtr>& all() const { return probes_; }

 private:
  std::vector<FakeProbePtr> probes_;
};

probe::ProbeResult probeSuccess(std::string message = "HTTP 200");
probe::ProbeResult probeFailure(std::string message = "HTTP 503 from /healthz");

}  // namespace pfd::testing
