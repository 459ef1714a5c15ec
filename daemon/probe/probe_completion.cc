#include "daemon/probe/probe_completion.h"

#include <utility>

namespace pfd::probe {

ProbeCompletion::ProbeCompletion(std::function<void(ProbeResult)> done)
    : start_(std::chrono::steady_clock::now()), done_(std::move(done)) {}

ProbeResult ProbeCompletion::result(bool success, std::string message) const {
  ProbeResult result;
  result.success = success;
  result.message = std::move(message);
  result.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start_);
  return result;
}

void ProbeCompletion::complete(ProbeResult result) {
  std::function<void(ProbeResult)> done = std::move(done_);
  done_ = nullptr;
  if (done) {
    done(std::move(result));
  }
}

}  // namespace pfd::probe
