#include "daemon/config/forward_parser.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "daemon/config/dns_names.h"
#include "daemon/config/held_ports_parser.h"
#include "daemon/config/notify_parser.h"
#include "daemon/config/port_syntax.h"
#include "daemon/config/scalar_values.h"
#include "daemon/config/status_macros.h"
#include "daemon/config/target_syntax.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {
namespace {

// Fields that only mean something to kubectl; a command forward setting them is a mistake (it
// was probably meant to be a kubectl forward).
constexpr std::array<absl::string_view, 5> kKubectlOnlyKeys{"kubectl", "kubeconfig", "context",
                                                            "namespace", "requestTimeout"};

absl::Status readName(const MappingReader& forward, ParsedForward& parsed) {
  if (!forward.has("name")) {
    return forward.missing("name", "give every forward a unique name, e.g. name: web");
  }
  PFD_RETURN_IF_ERROR(forward.readString("name", parsed.spec.name));
  if (parsed.spec.name.empty()) {
    return forward.errorAt("name",
                           absl::StrCat("is empty; give the forward a name: ", kDnsLabelRule));
  }
  if (!isDnsLabel(parsed.spec.name)) {
    return forward.errorAt("name", absl::StrCat("\"", parsed.spec.name,
                                                "\" is not a valid forward name; ", kDnsLabelRule));
  }
  parsed.name_mark = forward.markOf("name");
  return absl::OkStatus();
}

// Exactly one of target and command; a command forward takes no kubectl-only fields.
absl::Status readKind(const MappingReader& forward, ParsedForward& parsed) {
  bool has_target = forward.has("target");
  bool has_command = forward.has("command");
  if (has_target && has_command) {
    return forward.errorAt("command",
                           "is set together with target; a forward runs either kubectl (target) "
                           "or another program (command), not both");
  }
  if (!has_target && !has_command) {
    return forward.errorHere(
        "has neither target nor command; set target (e.g. target: deployment/web) to run "
        "kubectl port-forward, or command (a list) to run another program");
  }
  if (has_target) {
    PFD_RETURN_IF_ERROR(forward.readString("target", parsed.spec.target));
    if (absl::Status valid = validateTarget(parsed.spec.target); !valid.ok()) {
      return forward.errorAt("target", valid.message());
    }
    return absl::OkStatus();
  }
  for (absl::string_view key : kKubectlOnlyKeys) {
    if (forward.has(key)) {
      return forward.errorAt(key, absl::StrCat("only applies to kubectl forwards (with target), "
                                               "but this forward runs a command; remove it"));
    }
  }
  return forward.readCommand("command", parsed.spec.command);
}

absl::Status readPorts(const MappingReader& forward, ParsedForward& parsed,
                       const Diagnostics& diagnostics) {
  constexpr absl::string_view kHint = "list the local ports, e.g. ports: [\"8080:80\", \"9090\"]";
  if (!forward.has("ports")) {
    return forward.missing("ports", kHint);
  }
  YAML::Node list = forward.value("ports");
  parsed.ports_path = forward.pathOf("ports");
  if (!list.IsSequence() || list.size() == 0) {
    return forward.errorAt(
        "ports",
        absl::StrCat("is ", list.IsSequence() ? "an empty list" : describeNode(list), "; ", kHint));
  }
  PortSyntax syntax = parsed.spec.isCommand() ? PortSyntax::kLocalOnly : PortSyntax::kLocalToRemote;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = indexPath(parsed.ports_path, i);
    YAML::Mark mark = Diagnostics::markOr(list[i], list.Mark());
    if (!list[i].IsScalar()) {
      return diagnostics.error(
          mark, path, absl::StrCat("is ", describeNode(list[i]), "; write LOCAL:REMOTE or PORT"));
    }
    absl::StatusOr<core::PortSpec> port = parsePortSpec(list[i].Scalar(), syntax);
    if (!port.ok()) {
      return diagnostics.error(mark, path, port.status().message());
    }
    for (size_t j = 0; j < parsed.spec.ports.size(); ++j) {
      if (parsed.spec.ports[j].local == port->local) {
        return diagnostics.error(mark, path,
                                 absl::StrCat("local port ", port->local, " is already used by ",
                                              indexPath(parsed.ports_path, j), " (line ",
                                              Diagnostics::lineOf(parsed.port_marks[j]),
                                              "); each local port can serve only one forward"));
      }
    }
    parsed.spec.ports.push_back(*std::move(port));
    parsed.port_marks.push_back(mark);
  }
  return absl::OkStatus();
}

absl::Status checkProbePort(const ParsedProbe& probe, const ParsedForward& parsed,
                            const Diagnostics& diagnostics) {
  std::vector<uint16_t> locals;
  for (const core::PortSpec& port : parsed.spec.ports) {
    if (port.local == probe.spec.port) {
      return absl::OkStatus();
    }
    locals.push_back(port.local);
  }
  return diagnostics.error(
      probe.port_mark, probe.port_path,
      absl::StrCat(probe.spec.port, " is not a local port of forward \"", parsed.spec.name, "\" (",
                   absl::StrJoin(locals, ", "),
                   "); a probe goes through the tunnel, so use one of those, or leave the port "
                   "out to probe the first"));
}

absl::Status readReadiness(const MappingReader& forward, const ForwardDefaults& defaults,
                           ParsedForward& parsed, const Diagnostics& diagnostics) {
  std::optional<ParsedProbe> probe = defaults.readiness;
  if (forward.has("readiness")) {
    probe.reset();
    // `readiness: null` turns the default probe off for this forward.
    if (!forward.value("readiness").IsNull()) {
      PFD_ASSIGN_OR_RETURN(MappingReader reader, forward.mapping("readiness"));
      PFD_ASSIGN_OR_RETURN(probe, parseProbe(reader));
    }
  }
  if (!probe.has_value()) {
    return absl::OkStatus();
  }
  if (probe->spec.kind != core::ProbeSpec::Kind::kExec) {
    if (probe->port_given) {
      PFD_RETURN_IF_ERROR(checkProbePort(*probe, parsed, diagnostics));
    } else {
      probe->spec.port = parsed.spec.ports.front().local;
    }
  }
  parsed.spec.readiness = probe->spec;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedForward> parseForward(const MappingReader& forward,
                                           const ForwardDefaults& defaults,
                                           const Diagnostics& diagnostics) {
  ParsedForward parsed{.path = forward.path()};
  PFD_RETURN_IF_ERROR(readName(forward, parsed));
  PFD_RETURN_IF_ERROR(readKind(forward, parsed));
  core::ForwardSpec& spec = parsed.spec;
  if (spec.isCommand()) {
    // kubectl-only and held-port settings from `defaults:` do not apply, and keeping them at
    // ForwardSpec's defaults means editing them cannot make a reload restart a command forward.
    core::ForwardSpec base;
    base.address = defaults.base.address;
    base.backoff = defaults.base.backoff;
    base.start_timeout = defaults.base.start_timeout;
    PFD_RETURN_IF_ERROR(readSharedFields(forward, base));
    PFD_RETURN_IF_ERROR(checkCommandHoldsNoPorts(forward));
    base.name = std::move(spec.name);
    base.command = std::move(spec.command);
    spec = std::move(base);
  } else {
    core::ForwardSpec base = defaults.base;
    PFD_RETURN_IF_ERROR(readSharedFields(forward, base));
    PFD_RETURN_IF_ERROR(readHeldPorts(forward, base));
    base.name = std::move(spec.name);
    base.target = std::move(spec.target);
    spec = std::move(base);
  }
  PFD_RETURN_IF_ERROR(forward.readBool("enabled", spec.enabled));
  parsed.notify = defaults.notify;
  PFD_RETURN_IF_ERROR(readNotify(forward, parsed.notify));
  PFD_RETURN_IF_ERROR(readPorts(forward, parsed, diagnostics));
  // The address was checked where it was written (here or in defaults); parse it again only to
  // keep the result for the port-conflict check across forwards.
  absl::StatusOr<AddressList> addresses = AddressList::parse(spec.address);
  if (!addresses.ok()) {
    return forward.errorHere(absl::StrCat("address: ", addresses.status().message()));
  }
  parsed.addresses = *std::move(addresses);
  PFD_RETURN_IF_ERROR(readReadiness(forward, defaults, parsed, diagnostics));
  return parsed;
}

}  // namespace pfd::config
