#include "daemon/core/wording.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace pfd::core {

std::string formatDelay(Milliseconds delay) {
  return absl::FormatDuration(absl::Milliseconds(delay.count()));
}

std::string connectionCount(uint64_t count) {
  return count == 1 ? "1 connection" : absl::StrCat(count, " connections");
}

std::string podOfTarget(const std::string& target) {
  for (absl::string_view prefix : {"pod/", "pods/", "po/"}) {
    if (absl::StartsWithIgnoreCase(target, prefix)) {
      return target.substr(prefix.size());
    }
  }
  return target.find('/') == std::string::npos ? target : "";
}

}  // namespace pfd::core
