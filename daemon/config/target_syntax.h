#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pfd::config {

// Checks a kubectl port-forward target: a bare NAME (a pod) or KIND/NAME with the kinds and
// aliases kubectl port-forward resolves to a pod: pod (pods, po), deployment (deployments,
// deploy), replicaset (replicasets, rs), statefulset (statefulsets, sts), service (services,
// svc), daemonset (daemonsets, ds), job (jobs), replicationcontroller (replicationcontrollers,
// rc). Errors carry only the message; the caller adds the position.
absl::Status validateTarget(absl::string_view target);

}  // namespace pfd::config
