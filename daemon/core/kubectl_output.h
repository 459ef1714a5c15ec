#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace pfd::core {

// What one line of `kubectl port-forward` output means to the supervisor. kubectl 1.32+ wraps
// errors as klog lines `E1124 ... portforward.go:424] "Unhandled Error" err="..."`; older versions
// print them bare. Both are matched by content.
struct KubectlLine {
  enum class Kind {
    kOther,
    kForwarding,  // "Forwarding from 127.0.0.1:8080 -> 8000": local_port forwards
    kConnection,  // "Handling connection for 8080": a client connected through local_port
    kBroken,      // the forward is broken even if kubectl stays alive: restart it
    kError,       // an error kubectl reports before it exits; the best reason to show
  };
  Kind kind = Kind::kOther;
  uint16_t local_port = 0;   // kForwarding, kConnection; kBroken for a port already in use
  std::string reason;        // kBroken, kError: one line a user can act on
  std::string pod;           // when the line names the pod
  bool port_in_use = false;  // kBroken: the local port is held by another process
  bool app_refused = false;  // kBroken: the app in the pod refused the connection
};

// `pod` is the pod the forward runs on, when pfd knows it, for the reasons. (kubectl's own lines
// name the pod sandbox, not the pod, under containerd.)
KubectlLine classifyKubectlLine(absl::string_view line, absl::string_view pod = "");

// True for a reason (a KubectlLine's, a failed resolution's) that says the API server failed rather
// than the pod or the app: unreachable, no answer in time, TLS, credentials refused, a 5xx.
// Every forward of the cluster would fail the same way, so the cluster is checked, once.
bool isClusterLevelReason(absl::string_view reason);

// The API server's RBAC refusal (`pods "web-1" is forbidden: User "alice" cannot create resource
// "pods/portforward" in API group "" in the namespace "shop"`), anywhere in `message`, as what
// the user lacks: "your user cannot create pods/portforward in namespace shop (RBAC)". nullopt for
// any other message.
std::optional<std::string> rbacReason(absl::string_view message);

// Strips a klog header ("E1124 19:41:29.123456   12345 file.go:42] ") and unwraps a structured
// `"Unhandled Error" err="..."` message; returns the line unchanged otherwise.
std::string kubectlMessage(absl::string_view line);

}  // namespace pfd::core
