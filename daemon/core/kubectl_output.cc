#include "daemon/core/kubectl_output.h"

#include <cctype>
#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pfd::core {
namespace {

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Parses the decimal port at the start of `text`; 0 if there is none.
uint16_t leadingPort(absl::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() || value > 65535) {
    return 0;
  }
  return static_cast<uint16_t>(value);
}

// "E1124 19:41:29.123456   12345 portforward.go:424] rest" -> "rest".
absl::string_view stripKlogHeader(absl::string_view line) {
  if (line.size() < 6 || absl::string_view("IWEF").find(line[0]) == absl::string_view::npos ||
      !isDigit(line[1]) || !isDigit(line[4])) {
    return line;
  }
  size_t bracket = line.find("] ");
  if (bracket == absl::string_view::npos) {
    return line;
  }
  return line.substr(bracket + 2);
}

// `"Unhandled Error" err="an error occurred ... \"x\""` -> `an error occurred ... "x"`.
std::string unwrapStructured(absl::string_view message) {
  size_t start = message.find("err=\"");
  if (start == absl::string_view::npos) {
    return std::string(message);
  }
  std::string out;
  for (size_t i = start + 5; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\\' && i + 1 < message.size()) {
      char next = message[++i];
      out.push_back(next == 'n' ? ' ' : next == 't' ? ' ' : next);
    } else if (c == '"') {
      break;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "... error forwarding port 8000 to pod <sandbox>, uid : ..." -> "8000".
std::string remotePortOf(absl::string_view message) {
  constexpr absl::string_view kMarker = "error forwarding port ";
  size_t at = message.find(kMarker);
  if (at == absl::string_view::npos) {
    return "";
  }
  absl::string_view rest = message.substr(at + kMarker.size());
  return std::string(rest.substr(0, rest.find(' ')));
}

std::string podWords(absl::string_view pod) {
  return pod.empty() ? "the pod" : absl::StrCat("pod ", pod);
}

bool mentionsApiServerUnreachable(absl::string_view message) {
  return absl::StrContains(message, "Unable to connect to the server") ||
         absl::StrContains(message, "The connection to the server") ||
         absl::StrContains(message, "connect: connection refused") ||
         absl::StrContains(message, "context deadline exceeded") ||
         absl::StrContains(message, "Client.Timeout exceeded") ||
         absl::StrContains(message, "i/o timeout") ||
         absl::StrContains(message, "http2: client connection lost") ||
         absl::StrContains(message, "the server was unable to return a response in the time");
}

KubectlLine brokenForward(absl::string_view message, absl::string_view pod) {
  KubectlLine result{.kind = KubectlLine::Kind::kBroken};
  const std::string remote_port = remotePortOf(message);
  const std::string lower = absl::AsciiStrToLower(message);
  if (absl::StrContains(lower, "connection refused") && !remote_port.empty()) {
    result.app_refused = true;
    result.reason = absl::StrCat("app not listening on port ", remote_port, " in ", podWords(pod),
                                 " (connection refused inside the pod)");
  } else if (absl::StrContains(lower, "no such container") ||
             absl::StrContains(lower, "in store: not found") ||
             absl::StrContains(lower, "container not running") ||
             absl::StrContains(lower, "not found")) {
    result.reason = absl::StrCat(podWords(pod), " is gone (deleted or replaced): ", message);
  } else if (absl::StrContains(message, "error creating") &&
             absl::StrContains(message, "Timeout occurred")) {
    result.reason = absl::StrCat("the tunnel to ", podWords(pod),
                                 " is wedged: kubectl could not open a stream in 30s");
  } else if (message == "lost connection to pod") {
    result.reason = absl::StrCat("lost connection to ", podWords(pod));
  } else {
    result.reason = std::string(message);
  }
  return result;
}

// The text between `open` (searched from `from`) and the next '"'; `from` moves past it.
std::optional<absl::string_view> quotedAfter(absl::string_view message, absl::string_view open,
                                             size_t& from) {
  const size_t at = message.find(open, from);
  if (at == absl::string_view::npos) {
    return std::nullopt;
  }
  const size_t start = at + open.size();
  const size_t end = message.find('"', start);
  if (end == absl::string_view::npos) {
    return std::nullopt;
  }
  from = end + 1;
  return message.substr(start, end - start);
}

}  // namespace

std::optional<std::string> rbacReason(absl::string_view message) {
  // `... is forbidden: User "U" cannot VERB resource "R" in API group "G" in the namespace "NS"`
  // (or `... at the cluster scope`), as the API server's authorizer words it.
  size_t from = message.find(" is forbidden: User \"");
  if (from == absl::string_view::npos) {
    return std::nullopt;
  }
  if (!quotedAfter(message, "User \"", from).has_value()) {
    return std::nullopt;
  }
  constexpr absl::string_view kCannot = " cannot ";
  const size_t cannot = message.find(kCannot, from);
  if (cannot == absl::string_view::npos) {
    return std::nullopt;
  }
  const size_t verb_start = cannot + kCannot.size();
  const size_t verb_end = message.find(' ', verb_start);
  if (verb_end == absl::string_view::npos) {
    return std::nullopt;
  }
  const absl::string_view verb = message.substr(verb_start, verb_end - verb_start);
  from = verb_end;
  std::optional<absl::string_view> resource = quotedAfter(message, "resource \"", from);
  if (!resource.has_value() || verb.empty() || resource->empty()) {
    return std::nullopt;
  }
  size_t group_from = from;
  std::optional<absl::string_view> group = quotedAfter(message, "in API group \"", group_from);
  if (group.has_value()) {
    from = group_from;
  }
  std::string what = std::string(*resource);
  if (group.has_value() && !group->empty()) {
    // kubectl's own spelling of a grouped resource: deployments.apps.
    const size_t slash = what.find('/');
    what = slash == std::string::npos
               ? absl::StrCat(what, ".", *group)
               : absl::StrCat(what.substr(0, slash), ".", *group, what.substr(slash));
  }
  std::string where;
  if (std::optional<absl::string_view> ns = quotedAfter(message, "in the namespace \"", from);
      ns.has_value()) {
    where = absl::StrCat(" in namespace ", *ns);
  } else if (absl::StrContains(message.substr(from), "at the cluster scope")) {
    where = " at the cluster scope";
  }
  return absl::StrCat("your user cannot ", verb, " ", what, where, " (RBAC)");
}

std::string kubectlMessage(absl::string_view line) {
  absl::string_view message = absl::StripAsciiWhitespace(stripKlogHeader(line));
  if (absl::StartsWith(message, "\"Unhandled Error\"")) {
    return unwrapStructured(message);
  }
  return std::string(message);
}

bool isClusterLevelReason(absl::string_view reason) {
  static constexpr absl::string_view kMarks[] = {
      "API server unreachable",
      "no answer from the API server",
      "Unauthorized",
      "You must be logged in to the server",
      "the server has asked for the client to provide credentials",
      "x509: ",
      "tls: ",
      "TLS handshake",
      "certificate",
      "ServiceUnavailable",
      "InternalError",
      "the server is currently unable to handle the request",
      "the server was unable to return a response",
      "Timeout: ",
      "no such host",
      "network is unreachable",
      "no route to host",
  };
  for (absl::string_view mark : kMarks) {
    if (absl::StrContains(reason, mark)) {
      return true;
    }
  }
  return mentionsApiServerUnreachable(reason);
}

KubectlLine classifyKubectlLine(absl::string_view line, absl::string_view pod) {
  // The two lines printed on every healthy start and connection come first and are cheap.
  constexpr absl::string_view kForwarding = "Forwarding from ";
  if (absl::StartsWith(line, kForwarding)) {
    // "Forwarding from 127.0.0.1:8080 -> 8000" or "Forwarding from [::1]:8080 -> 8000".
    absl::string_view rest = line.substr(kForwarding.size());
    size_t arrow = rest.find(" -> ");
    size_t colon = rest.substr(0, arrow).rfind(':');
    if (arrow != absl::string_view::npos && colon != absl::string_view::npos) {
      return {.kind = KubectlLine::Kind::kForwarding,
              .local_port = leadingPort(rest.substr(colon + 1))};
    }
    return {};
  }
  constexpr absl::string_view kHandling = "Handling connection for ";
  if (absl::StartsWith(line, kHandling)) {
    return {.kind = KubectlLine::Kind::kConnection,
            .local_port = leadingPort(line.substr(kHandling.size()))};
  }

  const std::string message = kubectlMessage(line);
  if (message.empty()) {
    return {};
  }
  // "Unable to listen on port 8080: Listeners failed to create with the following errors:
  // [unable to create listener: Error listen tcp4 127.0.0.1:8080: bind: address already in use]"
  constexpr absl::string_view kUnableToListen = "Unable to listen on port ";
  if (absl::StartsWith(message, kUnableToListen)) {
    uint16_t port = leadingPort(absl::string_view(message).substr(kUnableToListen.size()));
    KubectlLine result{.kind = KubectlLine::Kind::kBroken, .local_port = port};
    if (absl::StrContains(message, "address already in use")) {
      result.port_in_use = true;
      result.reason = absl::StrCat("local port ", port, " is already in use");
    } else {
      result.reason = message;
    }
    return result;
  }
  if (absl::StrContains(message, "an error occurred forwarding") ||
      absl::StrContains(message, "lost connection to pod") ||
      (absl::StrContains(message, "error creating") && absl::StrContains(message, "stream"))) {
    absl::string_view text = message;
    absl::ConsumePrefix(&text, "error: ");
    return brokenForward(text, pod);
  }

  const bool error_line =
      absl::StartsWith(message, "error:") || absl::StartsWith(message, "Error in configuration:") ||
      absl::StartsWith(message, "Error from server") ||
      absl::StartsWith(message, "Unable to connect to the server") ||
      absl::StartsWith(message, "The connection to the server") ||
      (line.size() > 1 && (line[0] == 'E' || line[0] == 'F') && isDigit(line[1]));
  if (!error_line) {
    return {};
  }
  KubectlLine result{.kind = KubectlLine::Kind::kError};
  if (std::optional<std::string> rbac = rbacReason(message); rbac.has_value()) {
    result.reason = *std::move(rbac);
    if (absl::StrContains(result.reason, "create pods/portforward")) {
      // Kubernetes 1.35 checks create (the WebSocket upgrade), where older ones checked get.
      absl::StrAppend(&result.reason,
                      "; port-forward needs a Role with verb create on pods/portforward");
    }
    return result;
  }
  absl::string_view text = message;
  absl::ConsumePrefix(&text, "error: ");
  absl::ConsumePrefix(&text, "Error in configuration: ");
  if (absl::ConsumePrefix(&text, "Error from server ")) {
    // "(NotFound): deployments.apps "web" not found" -> "NotFound: deployments.apps ..."
    if (absl::ConsumePrefix(&text, "(")) {
      size_t close = text.find("): ");
      if (close != absl::string_view::npos) {
        result.reason = absl::StrCat(text.substr(0, close), ": ", text.substr(close + 3));
        return result;
      }
    }
  }
  // A line that is only a prefix ("Error from server (") must still tell the user something.
  if (text.empty()) {
    text = message;
  }
  if (mentionsApiServerUnreachable(text)) {
    result.reason = absl::StrCat("API server unreachable: ", text);
  } else {
    result.reason = std::string(text);
  }
  return result;
}

}  // namespace pfd::core
