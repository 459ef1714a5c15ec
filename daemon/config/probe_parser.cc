#include "daemon/config/probe_parser.h"

#include <array>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/config/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {
namespace {

constexpr std::array<absl::string_view, 3> kHandlers{"httpGet", "tcpSocket", "exec"};
constexpr absl::string_view kHandlerHint = "a probe has exactly one of httpGet, tcpSocket or exec";

core::Milliseconds seconds(int count) { return core::Milliseconds(int64_t{count} * 1000); }

bool isHeaderNameCharacter(char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

absl::Status readPort(const MappingReader& handler, ParsedProbe& probe) {
  if (!handler.has("port")) {
    return absl::OkStatus();
  }
  int port = 0;
  PFD_RETURN_IF_ERROR(handler.readInt("port", 1, port));
  if (port > 65535) {
    return handler.errorAt("port", absl::StrCat(port,
                                                " is not a port; use a number 1-65535 "
                                                "among the forward's local ports"));
  }
  probe.spec.port = static_cast<uint16_t>(port);
  probe.port_given = true;
  probe.port_mark = handler.markOf("port");
  probe.port_path = handler.pathOf("port");
  return absl::OkStatus();
}

absl::Status readHeaders(const MappingReader& http, core::ProbeSpec& spec) {
  if (!http.has("httpHeaders")) {
    return absl::OkStatus();
  }
  PFD_ASSIGN_OR_RETURN(std::vector<MappingReader> headers, http.mappingList("httpHeaders"));
  for (const MappingReader& header : headers) {
    core::HttpHeader parsed;
    if (!header.has("name")) {
      return header.missing("name", "an HTTP header needs a name and a value");
    }
    if (!header.has("value")) {
      return header.missing("value", "an HTTP header needs a name and a value (\"\" for none)");
    }
    PFD_RETURN_IF_ERROR(header.readString("name", parsed.name));
    PFD_RETURN_IF_ERROR(header.readString("value", parsed.value));
    bool valid_name = !parsed.name.empty();
    for (char c : parsed.name) {
      valid_name = valid_name && isHeaderNameCharacter(c);
    }
    if (!valid_name) {
      return header.errorAt("name", absl::StrCat("\"", parsed.name,
                                                 "\" is not an HTTP header name; use letters, "
                                                 "digits and '-', e.g. Host or X-Api-Key"));
    }
    if (parsed.value.find_first_of("\r\n") != std::string::npos) {
      return header.errorAt("value", "contains a line break; a header value is a single line");
    }
    spec.headers.push_back(std::move(parsed));
  }
  return absl::OkStatus();
}

absl::Status readHttpGet(const MappingReader& http, ParsedProbe& probe) {
  core::ProbeSpec& spec = probe.spec;
  spec.kind = core::ProbeSpec::Kind::kHttpGet;
  PFD_RETURN_IF_ERROR(readPort(http, probe));
  PFD_RETURN_IF_ERROR(http.readString("path", spec.path));
  if (!spec.path.starts_with("/")) {
    return http.errorAt(
        "path", absl::StrCat("\"", spec.path, "\" does not start with \"/\"; write e.g. /healthz"));
  }
  if (spec.path.find_first_of(" \t\r\n") != std::string::npos) {
    return http.errorAt("path", absl::StrCat("\"", spec.path,
                                             "\" contains whitespace; "
                                             "percent-encode it (%20)"));
  }
  PFD_RETURN_IF_ERROR(http.readString("scheme", spec.scheme));
  if (spec.scheme != "HTTP" && spec.scheme != "HTTPS") {
    return http.errorAt("scheme",
                        absl::StrCat("\"", spec.scheme, "\" is not a scheme; write HTTP or HTTPS"));
  }
  PFD_RETURN_IF_ERROR(readHeaders(http, spec));
  // Accepted for configs written when HTTPS probes verified; they no longer do, as the kubelet.
  bool ignored_skip_verify = false;
  return http.readBool("insecureSkipVerify", ignored_skip_verify);
}

absl::Status readHandler(const MappingReader& probe, absl::string_view handler, ParsedProbe& out) {
  if (probe.value(handler).IsNull()) {
    // `tcpSocket: {}` and a bare `tcpSocket:` both mean "TCP on the first local port".
    if (handler == "tcpSocket") {
      out.spec.kind = core::ProbeSpec::Kind::kTcpSocket;
      return absl::OkStatus();
    }
  }
  PFD_ASSIGN_OR_RETURN(MappingReader reader, probe.mapping(handler));
  if (handler == "httpGet") {
    return readHttpGet(reader, out);
  }
  if (handler == "tcpSocket") {
    out.spec.kind = core::ProbeSpec::Kind::kTcpSocket;
    return readPort(reader, out);
  }
  out.spec.kind = core::ProbeSpec::Kind::kExec;
  if (!reader.has("command")) {
    return reader.missing("command",
                          "write the program to run and its arguments, e.g. "
                          "command: [\"grpc_health_probe\", \"-addr=localhost:9090\"]");
  }
  return reader.readCommand("command", out.spec.command);
}

}  // namespace

absl::StatusOr<ParsedProbe> parseProbe(const MappingReader& probe) {
  absl::string_view chosen;
  for (absl::string_view handler : kHandlers) {
    if (!probe.has(handler)) {
      continue;
    }
    if (!chosen.empty()) {
      return probe.errorAt(handler,
                           absl::StrCat("is set together with ", chosen, "; ", kHandlerHint));
    }
    chosen = handler;
  }
  if (chosen.empty()) {
    return probe.errorHere(
        absl::StrCat("has no handler; ", kHandlerHint, ", e.g. tcpSocket: {port: 8080}"));
  }
  ParsedProbe parsed;
  PFD_RETURN_IF_ERROR(readHandler(probe, chosen, parsed));

  core::ProbeSpec& spec = parsed.spec;
  int initial_delay = 0;
  int period = static_cast<int>(spec.period.count() / 1000);
  int timeout = static_cast<int>(spec.timeout.count() / 1000);
  PFD_RETURN_IF_ERROR(probe.readInt("initialDelaySeconds", 0, initial_delay));
  PFD_RETURN_IF_ERROR(probe.readInt("periodSeconds", 1, period));
  PFD_RETURN_IF_ERROR(probe.readInt("timeoutSeconds", 1, timeout));
  PFD_RETURN_IF_ERROR(probe.readInt("successThreshold", 1, spec.success_threshold));
  PFD_RETURN_IF_ERROR(probe.readInt("failureThreshold", 1, spec.failure_threshold));
  spec.initial_delay = seconds(initial_delay);
  spec.period = seconds(period);
  spec.timeout = seconds(timeout);
  return parsed;
}

}  // namespace pfd::config
