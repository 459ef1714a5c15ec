#include "daemon/config/target_syntax.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/dns_names.h"

namespace pfd::config {
namespace {

struct TargetKind {
  absl::string_view alias;
  absl::string_view kind;  // what messages call it
};

constexpr std::array<TargetKind, 23> kKinds{{
    {"pod", "pod"},
    {"pods", "pod"},
    {"po", "pod"},
    {"deployment", "deployment"},
    {"deployments", "deployment"},
    {"deploy", "deployment"},
    {"replicaset", "replicaset"},
    {"replicasets", "replicaset"},
    {"rs", "replicaset"},
    {"statefulset", "statefulset"},
    {"statefulsets", "statefulset"},
    {"sts", "statefulset"},
    {"service", "service"},
    {"services", "service"},
    {"svc", "service"},
    {"daemonset", "daemonset"},
    {"daemonsets", "daemonset"},
    {"ds", "daemonset"},
    {"job", "job"},
    {"jobs", "job"},
    {"replicationcontroller", "replicationcontroller"},
    {"replicationcontrollers", "replicationcontroller"},
    {"rc", "replicationcontroller"},
}};

constexpr absl::string_view kTargetHint =
    "write NAME (a pod) or KIND/NAME with KIND one of pod, deployment, replicaset, statefulset, "
    "service, daemonset, job, replicationcontroller (or their kubectl short names po, deploy, "
    "rs, sts, svc, ds, rc)";

const TargetKind* findKind(absl::string_view alias) {
  // kubectl matches resource names without regard to case ("Deployment/web" works).
  std::string lower = absl::AsciiStrToLower(alias);
  for (const TargetKind& kind : kKinds) {
    if (kind.alias == lower) {
      return &kind;
    }
  }
  return nullptr;
}

}  // namespace

absl::Status validateTarget(absl::string_view target) {
  if (target.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("is empty; ", kTargetHint));
  }
  absl::string_view kind_name = "pod";
  absl::string_view name = target;
  if (size_t slash = target.find('/'); slash != absl::string_view::npos) {
    absl::string_view alias = target.substr(0, slash);
    name = target.substr(slash + 1);
    const TargetKind* kind = findKind(alias);
    if (kind == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("\"", target, "\": \"", alias,
                                                     "\" is not a kind kubectl port-forward "
                                                     "accepts; ",
                                                     kTargetHint));
    }
    kind_name = kind->kind;
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", target, "\" has no name after the '/'; write e.g. \"", alias, "/web\""));
    }
  }
  bool is_service = kind_name == "service";
  bool valid = is_service ? isDns1035Label(name) : isDnsSubdomain(name);
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", target, "\": \"", name, "\" is not a valid ", kind_name, " name; ",
                     is_service ? kDns1035LabelRule : kDnsSubdomainRule));
  }
  return absl::OkStatus();
}

}  // namespace pfd::config
