#include "daemon/config/port_syntax.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/dns_names.h"

namespace pfd::config {
namespace {

constexpr absl::string_view kRule = "use LOCAL:REMOTE or PORT with ports 1-65535";

bool allDigits(absl::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) {
      return false;
    }
  }
  return true;
}

// A port number 1-65535; 0 when `text` is not one.
uint16_t portNumber(absl::string_view text) {
  uint32_t value = 0;
  if (!allDigits(text) || text.size() > 5 || !absl::SimpleAtoi(text, &value) || value == 0 ||
      value > 65535) {
    return 0;
  }
  return static_cast<uint16_t>(value);
}

absl::Status notAPort(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not a port; ", kRule));
}

}  // namespace

absl::StatusOr<core::PortSpec> parsePortSpec(absl::string_view text, PortSyntax syntax) {
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    uint16_t port = portNumber(text);
    if (port == 0) {
      return notAPort(text);
    }
    return core::PortSpec{port, syntax == PortSyntax::kLocalOnly ? "" : absl::StrCat(port)};
  }
  if (syntax == PortSyntax::kLocalOnly) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" maps a remote port, but a command forward has no remote side; write "
                     "only the local port its program serves, e.g. \"",
                     text.substr(0, colon), "\""));
  }
  absl::string_view local = text.substr(0, colon);
  absl::string_view remote = text.substr(colon + 1);
  if (local.empty() || local == "0") {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" asks kubectl for a random local port; pfd needs a fixed local port to "
                     "probe and report, e.g. \"",
                     remote, ":", remote, "\""));
  }
  uint16_t local_port = portNumber(local);
  if (local_port == 0) {
    return notAPort(text);
  }
  if (allDigits(remote)) {
    uint16_t remote_port = portNumber(remote);
    if (remote_port == 0) {
      return notAPort(text);
    }
    return core::PortSpec{local_port, absl::StrCat(remote_port)};
  }
  if (!isPortName(remote)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": remote port \"", remote, "\" is neither a port 1-65535 nor a port name; ",
        kPortNameRule, " (as in the container's ports[].name)"));
  }
  return core::PortSpec{local_port, std::string(remote)};
}

}  // namespace pfd::config
