#include "daemon/config/forward_defaults.h"

#include "absl/strings/str_cat.h"
#include "daemon/config/address_list.h"
#include "daemon/config/backoff_parser.h"
#include "daemon/config/dns_names.h"
#include "daemon/config/held_ports_parser.h"
#include "daemon/config/notify_parser.h"
#include "daemon/config/paths.h"
#include "daemon/config/status_macros.h"

namespace pfd::config {

absl::Status readSharedFields(const MappingReader& reader, core::ForwardSpec& spec) {
  PFD_RETURN_IF_ERROR(reader.readNonEmptyString("kubectl", spec.kubectl));
  spec.kubectl = expandHome(spec.kubectl);
  // An empty kubeconfig or context is meaningful: kubectl's own default.
  PFD_RETURN_IF_ERROR(reader.readString("kubeconfig", spec.kubeconfig));
  spec.kubeconfig = expandHome(spec.kubeconfig);
  PFD_RETURN_IF_ERROR(reader.readString("context", spec.context));
  PFD_RETURN_IF_ERROR(reader.readString("namespace", spec.namespace_name));
  if (reader.has("namespace") && !isDnsLabel(spec.namespace_name)) {
    return reader.errorAt("namespace", absl::StrCat("\"", spec.namespace_name,
                                                    "\" is not a namespace name; ", kDnsLabelRule));
  }
  PFD_RETURN_IF_ERROR(reader.readString("address", spec.address));
  if (reader.has("address")) {
    if (absl::StatusOr<AddressList> addresses = AddressList::parse(spec.address); !addresses.ok()) {
      return reader.errorAt("address", addresses.status().message());
    }
  }
  PFD_RETURN_IF_ERROR(readBackoff(reader, spec.backoff));
  PFD_RETURN_IF_ERROR(reader.readPositiveDuration("startTimeout", spec.start_timeout));
  // kubectl reads --request-timeout=0 as "no timeout", so zero is allowed here.
  return reader.readDuration("requestTimeout", spec.request_timeout);
}

absl::StatusOr<ForwardDefaults> parseDefaults(const MappingReader& defaults) {
  ForwardDefaults result;
  PFD_RETURN_IF_ERROR(readSharedFields(defaults, result.base));
  PFD_RETURN_IF_ERROR(readHeldPorts(defaults, result.base));
  PFD_RETURN_IF_ERROR(readNotify(defaults, result.notify));
  if (defaults.has("readiness") && !defaults.value("readiness").IsNull()) {
    PFD_ASSIGN_OR_RETURN(MappingReader probe, defaults.mapping("readiness"));
    PFD_ASSIGN_OR_RETURN(result.readiness, parseProbe(probe));
  }
  return result;
}

}  // namespace pfd::config
