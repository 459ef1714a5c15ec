// Feeds arbitrary lines to the classifier of what `kubectl port-forward` prints: kubectl's output
// is not ours and changes between versions, and every line it prints passes through here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "daemon/core/kubectl_output.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view line(reinterpret_cast<const char*>(data), size);
  using Kind = pfd::core::KubectlLine::Kind;
  for (const absl::string_view pod : {absl::string_view(), absl::string_view("web-7d9f-abcde")}) {
    const pfd::core::KubectlLine classified = pfd::core::classifyKubectlLine(line, pod);
    // A broken forward or an error is shown to the user: it must say something.
    if ((classified.kind == Kind::kBroken || classified.kind == Kind::kError) &&
        classified.reason.empty()) {
      std::abort();
    }
  }
  (void)pfd::core::kubectlMessage(line);
  return 0;
}
