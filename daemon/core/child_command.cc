#include "daemon/core/child_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pfd::core {
namespace {

std::string portArgument(const PortSpec& port) {
  if (port.remote.empty() || port.remote == std::to_string(port.local)) {
    return std::to_string(port.local);
  }
  return absl::StrCat(port.local, ":", port.remote);
}

// kubectl's --request-timeout takes a Go duration; whole seconds read best in `ps` output.
std::string goDuration(Milliseconds duration) {
  if (duration.count() % 1000 == 0) {
    return absl::StrCat(duration.count() / 1000, "s");
  }
  return absl::StrCat(duration.count(), "ms");
}

}  // namespace

std::vector<std::string> childArgv(const ForwardSpec& spec) {
  if (spec.isCommand()) {
    return spec.command;
  }
  std::vector<std::string> argv = {spec.kubectl, "port-forward", spec.target};
  for (const PortSpec& port : spec.ports) {
    argv.push_back(portArgument(port));
  }
  argv.insert(argv.end(), {"--address", spec.address, "--namespace", spec.namespace_name});
  if (!spec.context.empty()) {
    argv.insert(argv.end(), {"--context", spec.context});
  }
  if (!spec.kubeconfig.empty()) {
    argv.insert(argv.end(), {"--kubeconfig", spec.kubeconfig});
  }
  if (spec.request_timeout.count() > 0) {
    argv.push_back(absl::StrCat("--request-timeout=", goDuration(spec.request_timeout)));
  }
  return argv;
}

std::string formatPorts(const std::vector<PortSpec>& ports) {
  return absl::StrJoin(
      ports, ",", [](std::string* out, const PortSpec& port) { out->append(portArgument(port)); });
}

}  // namespace pfd::core
