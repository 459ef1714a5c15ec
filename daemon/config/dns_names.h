#pragma once

#include "absl/strings/string_view.h"

namespace pfd::config {

// Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation), so that a name kubectl would
// refuse is refused when the file is loaded, with its line, rather than at every restart.

// RFC 1123 label: 1-63 of [a-z0-9-], starting and ending with a letter or digit. Forward names,
// namespaces.
bool isDnsLabel(absl::string_view name);
// RFC 1123 subdomain: 1-253 characters, dot-separated labels. Pod, deployment ... names.
bool isDnsSubdomain(absl::string_view name);
// RFC 1035 label: a DNS label that starts with a letter. Service names.
bool isDns1035Label(absl::string_view name);
// IANA service name: 1-15 of [a-z0-9-], at least one letter, no leading, trailing or double '-'.
// Named container ports.
bool isPortName(absl::string_view name);

inline constexpr absl::string_view kDnsLabelRule =
    "use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit";
inline constexpr absl::string_view kDnsSubdomainRule =
    "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit "
    "(at most 253 characters)";
inline constexpr absl::string_view kDns1035LabelRule =
    "use 1-63 lowercase letters, digits and '-', starting with a letter and ending with a "
    "letter or digit";
inline constexpr absl::string_view kPortNameRule =
    "a port name is 1-15 lowercase letters, digits and '-' with at least one letter";

}  // namespace pfd::config
