#include "daemon/core/pod_listing.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pfd::core {
namespace {

// kubectl prints "<no value>" for a missing field in a go-template.
bool present(absl::string_view value) { return !value.empty() && value != "<no value>"; }

// "key In a,b,;key2 Exists ;" -> "key in (a,b),key2"
std::string expressionsToSelector(absl::string_view text) {
  std::vector<std::string> parts;
  for (absl::string_view expression : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::StripAsciiWhitespace(expression), ' ');
    if (fields.size() < 2) {
      continue;
    }
    const std::string key(fields[0]);
    std::vector<absl::string_view> values;
    if (fields.size() > 2) {
      values = absl::StrSplit(fields[2], ',', absl::SkipEmpty());
    }
    if (fields[1] == "In") {
      parts.push_back(absl::StrCat(key, " in (", absl::StrJoin(values, ","), ")"));
    } else if (fields[1] == "NotIn") {
      parts.push_back(absl::StrCat(key, " notin (", absl::StrJoin(values, ","), ")"));
    } else if (fields[1] == "Exists") {
      parts.push_back(key);
    } else if (fields[1] == "DoesNotExist") {
      parts.push_back(absl::StrCat("!", key));
    }
  }
  return absl::StrJoin(parts, ",");
}

bool isNumber(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

}  // namespace

std::string targetObjectTemplate() {
  // Line 1 kind; line 2 matchLabels (or a Service's / RC's plain map) as k=v,; line 3
  // matchExpressions; line 4 a Service's ports as port/name/targetPort.
  return R"({{.kind}}{{"\n"}})"
         R"({{if eq .kind "Service" "ReplicationController"}}{{range $k,$v := .spec.selector}}{{$k}}={{$v}},{{end}})"
         R"({{else if .spec.selector}}{{range $k,$v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}{{end}}{{"\n"}})"
         R"({{if eq .kind "Service" "ReplicationController" "Pod"}}{{else if .spec.selector}})"
         R"({{range .spec.selector.matchExpressions}}{{.key}} {{.operator}} {{range .values}}{{.}},{{end}};{{end}}{{end}}{{"\n"}})"
         R"({{if eq .kind "Service"}}{{range .spec.ports}}{{.port}}/{{.name}}/{{.targetPort}};{{end}}{{end}}{{"\n"}})";
}

absl::StatusOr<TargetObject> parseTargetObject(absl::string_view output) {
  std::vector<absl::string_view> lines = absl::StrSplit(output, '\n');
  TargetObject object;
  if (lines.empty() || !present(absl::StripAsciiWhitespace(lines[0]))) {
    return absl::UnavailableError(absl::StrCat("kubectl printed no object kind: \"", output, "\""));
  }
  object.kind = std::string(absl::StripAsciiWhitespace(lines[0]));
  std::vector<std::string> selector;
  if (lines.size() > 1) {
    for (absl::string_view pair : absl::StrSplit(lines[1], ',', absl::SkipWhitespace())) {
      selector.emplace_back(absl::StripAsciiWhitespace(pair));
    }
  }
  if (lines.size() > 2) {
    std::string expressions = expressionsToSelector(lines[2]);
    if (!expressions.empty()) {
      selector.push_back(expressions);
    }
  }
  object.selector = absl::StrJoin(selector, ",");
  if (lines.size() > 3) {
    for (absl::string_view entry : absl::StrSplit(lines[3], ';', absl::SkipWhitespace())) {
      std::vector<std::string> fields = absl::StrSplit(entry, '/');
      if (fields.size() != 3) {
        continue;
      }
      object.service_ports.push_back({.port = fields[0],
                                      .name = present(fields[1]) ? fields[1] : "",
                                      .target_port = present(fields[2]) ? fields[2] : fields[0]});
    }
  }
  if (object.kind != "Pod" && object.selector.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(object.kind, " has no pod selector; pfd cannot tell which pods serve it"));
  }
  return object;
}

std::string podListTemplate() {
  // Tab-separated: kubectl prints "<no value>" (with a space) for a missing field.
  return R"({{range .items}}{{.metadata.name}}{{"\t"}}{{.metadata.creationTimestamp}}{{"\t"}})"
         R"({{if .metadata.deletionTimestamp}}terminating{{else}}live{{end}}{{"\t"}})"
         R"({{.status.phase}}{{"\t"}})"
         R"({{range .status.conditions}}{{if eq .type "Ready"}}{{.status}}{{end}}{{end}}{{"\t"}})"
         R"({{range .spec.containers}}{{range .ports}}{{.name}}={{.containerPort}},{{end}}{{end}})"
         R"({{"\n"}}{{end}})";
}

std::vector<PodInfo> parsePodList(absl::string_view output) {
  std::vector<PodInfo> pods;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    if (fields.size() < 4) {
      continue;
    }
    PodInfo pod{.name = std::string(fields[0]),
                .created = std::string(fields[1]),
                .terminating = fields[2] == "terminating",
                .phase = std::string(fields[3]),
                .ready = fields.size() > 4 && fields[4] == "True"};
    if (fields.size() > 5) {
      for (absl::string_view port : absl::StrSplit(fields[5], ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> named = absl::StrSplit(port, '=');
        if (present(named.first) && isNumber(named.second)) {
          pod.named_ports[named.first] = named.second;
        }
      }
    }
    pods.push_back(std::move(pod));
  }
  return pods;
}

absl::StatusOr<PodInfo> choosePod(const std::vector<PodInfo>& pods, absl::string_view target) {
  const PodInfo* best = nullptr;
  auto rank = [](const PodInfo& pod) { return pod.ready ? 2 : 1; };
  for (const PodInfo& pod : pods) {
    if (pod.terminating || pod.phase != "Running") {
      continue;
    }
    if (best == nullptr || rank(pod) > rank(*best) ||
        (rank(pod) == rank(*best) && (pod.created > best->created ||
                                      (pod.created == best->created && pod.name > best->name)))) {
      best = &pod;
    }
  }
  if (best != nullptr) {
    return *best;
  }
  if (pods.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no pods match ", target));
  }
  std::vector<std::string> seen;
  for (const PodInfo& pod : pods) {
    seen.push_back(absl::StrCat(pod.name, " ", pod.terminating ? "Terminating" : pod.phase));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no running pod for ", target, " (", absl::StrJoin(seen, ", "), ")"));
}

std::string choiceReason(const std::vector<PodInfo>& pods, const std::string& chosen,
                         absl::string_view target) {
  size_t ready = 0;
  size_t terminating = 0;
  size_t other = 0;
  bool chosen_ready = false;
  for (const PodInfo& pod : pods) {
    if (pod.terminating) {
      terminating++;
    } else if (pod.phase == "Running" && pod.ready) {
      ready++;
      chosen_ready = chosen_ready || pod.name == chosen;
    } else {
      other++;
    }
  }
  std::string reason;
  if (!chosen_ready) {
    reason = absl::StrCat("no pod of ", target, " is Ready: ", chosen,
                          " is Running but not Ready, the last resort");
  } else if (ready == 1) {
    reason = absl::StrCat("the only Ready pod of ", target);
  } else {
    reason = absl::StrCat("the newest of ", ready, " Ready pods of ", target);
  }
  std::vector<std::string> rest;
  if (terminating > 0) {
    rest.push_back(absl::StrCat(terminating, " terminating"));
  }
  if (other > 0 && chosen_ready) {
    rest.push_back(absl::StrCat(other, " not Ready"));
  }
  if (!rest.empty()) {
    absl::StrAppend(&reason, " (", absl::StrJoin(rest, ", "), " skipped)");
  }
  return reason;
}

absl::StatusOr<std::vector<PortSpec>> podPorts(const std::vector<PortSpec>& ports,
                                               const TargetObject& target, const PodInfo& pod) {
  if (target.kind != "Service") {
    return ports;
  }
  std::vector<PortSpec> translated;
  for (const PortSpec& port : ports) {
    const std::string remote = port.remote.empty() ? std::to_string(port.local) : port.remote;
    const TargetObject::ServicePort* match = nullptr;
    for (const TargetObject::ServicePort& service_port : target.service_ports) {
      if (service_port.port == remote ||
          (!service_port.name.empty() && service_port.name == remote)) {
        match = &service_port;
        break;
      }
    }
    if (match == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("service has no port ", remote, "; use one of its ports"));
    }
    std::string container_port = match->target_port;
    if (!isNumber(container_port)) {
      auto named = pod.named_ports.find(container_port);
      if (named == pod.named_ports.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("pod ", pod.name, " has no container port named ", container_port,
                         " (the service's targetPort for port ", remote, ")"));
      }
      container_port = named->second;
    }
    translated.push_back({.local = port.local, .remote = container_port});
  }
  return translated;
}

namespace {

// Splits at commas outside parentheses: "a=b,c in (d,e)" -> "a=b", "c in (d,e)".
std::vector<absl::string_view> requirements(absl::string_view selector) {
  std::vector<absl::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= selector.size(); ++i) {
    const char c = i < selector.size() ? selector[i] : ',';
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (c == ',' && depth == 0) {
      absl::string_view part = absl::StripAsciiWhitespace(selector.substr(start, i - start));
      if (!part.empty()) {
        parts.push_back(part);
      }
      start = i + 1;
    }
  }
  return parts;
}

bool requirementMatches(absl::string_view requirement,
                        const std::map<std::string, std::string>& labels) {
  auto value_of = [&](absl::string_view key) -> const std::string* {
    auto it = labels.find(std::string(absl::StripAsciiWhitespace(key)));
    return it == labels.end() ? nullptr : &it->second;
  };
  if (absl::ConsumePrefix(&requirement, "!")) {
    return value_of(requirement) == nullptr;
  }
  for (absl::string_view op : {" notin ", " in "}) {
    size_t at = requirement.find(op);
    if (at == absl::string_view::npos) {
      continue;
    }
    const std::string* value = value_of(requirement.substr(0, at));
    absl::string_view set = absl::StripAsciiWhitespace(requirement.substr(at + op.size()));
    absl::ConsumePrefix(&set, "(");
    absl::ConsumeSuffix(&set, ")");
    bool found = false;
    for (absl::string_view item : absl::StrSplit(set, ',')) {
      found = found || (value != nullptr && absl::StripAsciiWhitespace(item) == *value);
    }
    return op == " in " ? found : !found;
  }
  for (absl::string_view op : {"!=", "==", "="}) {
    size_t at = requirement.find(op);
    if (at == absl::string_view::npos) {
      continue;
    }
    const std::string* value = value_of(requirement.substr(0, at));
    const bool equal = value != nullptr &&
                       *value == absl::StripAsciiWhitespace(requirement.substr(at + op.size()));
    return op == "!=" ? !equal : equal;
  }
  return value_of(requirement) != nullptr;
}

}  // namespace

bool selectorMatches(absl::string_view selector, const std::map<std::string, std::string>& labels) {
  for (absl::string_view requirement : requirements(selector)) {
    if (!requirementMatches(requirement, labels)) {
      return false;
    }
  }
  return true;
}

}  // namespace pfd::core
