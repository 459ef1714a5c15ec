#include "daemon/core/status_summary.h"

#include "absl/strings/str_cat.h"

namespace pfd::core {
namespace {

// A prompt has room for a few names; the count says the rest.
constexpr size_t kMaxNamed = 3;

const char* doing(ForwardState state) {
  return state == ForwardState::kStarting ? "starting" : "down";
}

}  // namespace

StatusSummary summarizeForwards(const std::vector<ForwardStatusEntry>& forwards) {
  size_t wanted = 0;
  size_t ready = 0;
  std::vector<const ForwardStatusEntry*> not_ready;
  for (const ForwardStatusEntry& forward : forwards) {
    if (forward.state == ForwardState::kStopped) {
      continue;
    }
    wanted++;
    if (forward.state == ForwardState::kReady || forward.state == ForwardState::kIdle) {
      ready++;
    } else {
      not_ready.push_back(&forward);
    }
  }
  if (wanted == 0) {
    return {.line = "pfd: no forwards running", .healthy = true};
  }
  std::string line = absl::StrCat("pfd: ", ready, "/", wanted, " ready");
  for (size_t i = 0; i < not_ready.size() && i < kMaxNamed; ++i) {
    absl::StrAppend(&line, ", ", not_ready[i]->name, " ", doing(not_ready[i]->state));
  }
  if (not_ready.size() > kMaxNamed) {
    absl::StrAppend(&line, ", +", not_ready.size() - kMaxNamed, " more");
  }
  return {.line = std::move(line), .healthy = not_ready.empty()};
}

}  // namespace pfd::core
