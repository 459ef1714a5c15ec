#pragma once

#include <string>
#include <vector>

#include "daemon/core/forward_spec.h"

namespace pfd::core {

// Where kubectl listens when pfd holds the local ports, and where the relay connects.
inline constexpr const char* kUpstreamAddress = "127.0.0.1";

// The argv that runs a forward: its `command` as given, or
// `kubectl port-forward TARGET LOCAL:REMOTE... --address A -n NS [--context C] [--kubeconfig K]
// --request-timeout T`, or with held ports `0:REMOTE... --address 127.0.0.1` (an ephemeral port
// per remote port, read back from kubectl's `Forwarding from` lines). Never passed through a shell.
// `target` and `ports`, when given, replace the spec's: pfd resolves workload targets to a pod.
std::vector<std::string> childArgv(const ForwardSpec& spec, const std::string* target = nullptr,
                                   const std::vector<PortSpec>* ports = nullptr);

// `--namespace NS [--context C] [--kubeconfig K] [--request-timeout=T]`: what every kubectl
// command pfd runs for a forward shares.
std::vector<std::string> kubectlScopeArgs(const ForwardSpec& spec);

// A Go duration for kubectl flags: "2s", "1500ms".
std::string goDuration(Milliseconds duration);

// "8080:8000,9090" for status lines.
std::string formatPorts(const std::vector<PortSpec>& ports);

}  // namespace pfd::core
