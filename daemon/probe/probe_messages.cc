#include "daemon/probe/probe_messages.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace pfd::probe {

std::string endpointText(const std::string& address, uint16_t port) {
  if (address.find(':') != std::string::npos) {
    return absl::StrCat("[", address, "]:", port);
  }
  return absl::StrCat(address, ":", port);
}

std::string timeoutMessage(std::chrono::milliseconds timeout) {
  return absl::StrCat("timeout after ", absl::FormatDuration(absl::FromChrono(timeout)));
}

std::string connectionRefusedMessage(const std::string& address, uint16_t port) {
  return absl::StrCat("connection refused on ", endpointText(address, port));
}

}  // namespace pfd::probe
