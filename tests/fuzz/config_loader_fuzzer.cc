// Feeds arbitrary text to the config parser the daemon uses on `forwards.yaml` and its reloads: a
// config a user typed must never crash pfd, and every rejection must say where the problem is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/strings/match.h"
#include "daemon/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<pfd::config::Config> config = pfd::config::parseConfig(yaml, "fuzz.yaml");
  // config_loader.h promises InvalidArgument with "FILE:LINE:COLUMN: ..." for every problem.
  if (!config.ok() && (config.status().code() != absl::StatusCode::kInvalidArgument ||
                       !absl::StartsWith(config.status().message(), "fuzz.yaml:"))) {
    std::abort();
  }
  return 0;
}
