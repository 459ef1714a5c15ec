#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/core/forward_spec.h"

namespace pfd::core {

// What pfd learns about a workload or service target before it picks a pod for it. kubectl is asked
// with go-templates that print one fact per line, so no JSON parser is needed.
struct TargetObject {
  std::string kind;      // Deployment, Service, StatefulSet, Pod ...
  std::string selector;  // a label selector for `kubectl get pods -l`, "" for a Pod
  struct ServicePort {
    std::string port;         // the service port number
    std::string name;         // its name, may be empty
    std::string target_port;  // a number or a container port name
  };
  std::vector<ServicePort> service_ports;  // Service only
};

struct PodInfo {
  std::string name;
  std::string created;  // RFC 3339; sorts chronologically as text
  bool terminating = false;
  std::string phase;
  bool ready = false;
  std::map<std::string, std::string> named_ports;  // container port name -> number
};

// The go-template for `kubectl get TARGET -o go-template=...`, and the parser of its output.
std::string targetObjectTemplate();
absl::StatusOr<TargetObject> parseTargetObject(absl::string_view output);

// The go-template for `kubectl get pods -l SELECTOR -o go-template=...`, and its parser.
std::string podListTemplate();
std::vector<PodInfo> parsePodList(absl::string_view output);

// The pod a forward should use: never one that is terminating; a Ready one before one that is
// only Running; the newest first, because a rollout deletes the old ones next. (kubectl's own
// choice prefers older, longer-Ready pods and can pick a dying one.) FailedPrecondition naming
// the pods it saw when none can be used.
absl::StatusOr<PodInfo> choosePod(const std::vector<PodInfo>& pods, absl::string_view target);

// Why choosePod() took `chosen` from `pods`, for pfctl describe: "the newest of 2 Ready pods of
// deployment/web (1 more terminating)", or "no pod of deployment/web is Ready: web-1 is Running".
std::string choiceReason(const std::vector<PodInfo>& pods, const std::string& chosen,
                         absl::string_view target);

// The ports to give `kubectl port-forward pod/NAME`: for a service, each remote port (a service
// port number or name) becomes the service's targetPort, by number or by the pod's named port.
absl::StatusOr<std::vector<PortSpec>> podPorts(const std::vector<PortSpec>& ports,
                                               const TargetObject& target, const PodInfo& pod);

// Whether a pod with `labels` matches a label selector as `kubectl get -l` takes it
// ("app=web,tier!=db,env in (a,b),!canary").
bool selectorMatches(absl::string_view selector, const std::map<std::string, std::string>& labels);

}  // namespace pfd::core
