#include "tests/fakes/fake_prober.h"

#include <utility>

namespace pfd::testing {
namespace {

class FakeProbeHandle : public probe::ProbeHandle {
 public:
  explicit FakeProbeHandle(FakeProbePtr probe) : probe_(std::move(probe)) {}
  ~FakeProbeHandle() override { probe_->cancelled = true; }

 private:
  FakeProbePtr probe_;
};

}  // namespace

void FakeProbe::complete(probe::ProbeResult result) {
  if (cancelled || completed) {
    return;
  }
  completed = true;
  done(std::move(result));
}

probe::ProbeHandlePtr FakeProber::run(const core::ProbeSpec& spec, const std::string& address,
                                      std::function<void(probe::ProbeResult)> done) {
  auto fake = std::make_shared<FakeProbe>();
  fake->spec = spec;
  fake->address = address;
  fake->done = std::move(done);
  probes_.push_back(fake);
  return std::make_unique<FakeProbeHandle>(fake);
}

std::vector<FakeProbePtr> FakeProber::pending() const {
  std::vector<FakeProbePtr> result;
  for (const FakeProbePtr& probe : probes_) {
    if (!probe->cancelled && !probe->completed) {
      result.push_back(probe);
    }
  }
  return result;
}

size_t FakeProber::completeAll(const probe::ProbeResult& result) {
  auto waiting = pending();
  for (const FakeProbePtr& probe : waiting) {
    probe->complete(result);
  }
  return waiting.size();
}

probe::ProbeResult probeSuccess(std::string message) {
  return {.success = true, .message = std::move(message), .latency = std::chrono::milliseconds(2)};
}

probe::ProbeResult probeFailure(std::string message) {
  return {.success = false, .message = std::move(message), .latency = std::chrono::milliseconds(2)};
}

}  // namespace pfd::testing
