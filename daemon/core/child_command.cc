#include "daemon/core/child_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pfd::core {
namespace {

// Held ports: kubectl listens on an ephemeral loopback port per remote port; pfd relays to it.
std::string ephemeralPortArgument(const PortSpec& port) {
  return absl::StrCat("0:", port.remote.empty() ? std::to_string(port.local) : port.remote);
}

std::string portArgument(const PortSpec& port) {
  if (port.remote.empty() || port.remote == std::to_string(port.local)) {
    return std::to_string(port.local);
  }
  return absl::StrCat(port.local, ":", port.remote);
}

}  // namespace

// kubectl's --request-timeout takes a Go duration; whole seconds read best in `ps` output.
std::string goDuration(Milliseconds duration) {
  if (duration.count() % 1000 == 0) {
    return absl::StrCat(duration.count() / 1000, "s");
  }
  return absl::StrCat(duration.count(), "ms");
}

std::vector<std::string> kubectlScopeArgs(const ForwardSpec& spec) {
  std::vector<std::string> args = {"--namespace", spec.namespace_name};
  if (!spec.context.empty()) {
    args.insert(args.end(), {"--context", spec.context});
  }
  if (!spec.kubeconfig.empty()) {
    args.insert(args.end(), {"--kubeconfig", spec.kubeconfig});
  }
  if (spec.request_timeout.count() > 0) {
    args.push_back(absl::StrCat("--request-timeout=", goDuration(spec.request_timeout)));
  }
  return args;
}

std::vector<std::string> childArgv(const ForwardSpec& spec, const std::string* target,
                                   const std::vector<PortSpec>* ports) {
  if (spec.isCommand()) {
    return spec.command;
  }
  std::vector<std::string> argv = {spec.kubectl, "port-forward",
                                   target != nullptr ? *target : spec.target};
  for (const PortSpec& port : ports != nullptr ? *ports : spec.ports) {
    argv.push_back(spec.holdsPorts() ? ephemeralPortArgument(port) : portArgument(port));
  }
  argv.insert(argv.end(), {"--address", spec.holdsPorts() ? kUpstreamAddress : spec.address});
  std::vector<std::string> scope = kubectlScopeArgs(spec);
  argv.insert(argv.end(), scope.begin(), scope.end());
  return argv;
}

std::string formatPorts(const std::vector<PortSpec>& ports) {
  return absl::StrJoin(
      ports, ",", [](std::string* out, const PortSpec& port) { out->append(portArgument(port)); });
}

}  // namespace pfd::core
