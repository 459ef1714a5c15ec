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

// "... error forwarding port 8000 to pod web-1, uid ..." -> pod "web-1", remote port "8000".
void findPodAndRemotePort(absl::string_view message, std::string* pod, std::string* remote_port) {
  constexpr absl::string_view kMarker = "error forwarding port ";
  size_t at = message.find(kMarker);
  if (at == absl::string_view::npos) {
    return;
  }
  absl::string_view rest = message.substr(at + kMarker.size());
  size_t space = rest.find(' ');
  *remote_port = std::string(rest.substr(0, space));
  constexpr absl::string_view kToPod = " to pod ";
  size_t to_pod = rest.find(kToPod);
  if (to_pod == absl::string_view::npos) {
    return;
  }
  absl::string_view name = rest.substr(to_pod + kToPod.size());
  *pod = std::string(name.substr(0, name.find_first_of(", ")));
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

KubectlLine brokenForward(absl::string_view message) {
  KubectlLine result{.kind = KubectlLine::Kind::kBroken};
  std::string remote_port;
  findPodAndRemotePort(message, &result.pod, &remote_port);
  const bool refused = absl::StrContains(absl::AsciiStrToLower(message), "connection refused");
  if (refused && !remote_port.empty()) {
    result.app_refused = true;
    result.reason =
        absl::StrCat("app not listening on port ", remote_port, " in pod ",
                     result.pod.empty() ? "?" : result.pod, " (connection refused inside the pod)");
  } else if (absl::StrContains(message, "No such container") ||
             absl::StrContains(message, "container not running") ||
             absl::StrContains(message, "not found")) {
    result.reason = absl::StrCat("pod ", result.pod.empty() ? "" : result.pod + " ",
                                 "is gone (deleted or replaced): ", message);
  } else {
    result.reason = std::string(message);
  }
  return result;
}

}  // namespace

std::string kubectlMessage(absl::string_view line) {
  absl::string_view message = absl::StripAsciiWhitespace(stripKlogHeader(line));
  if (absl::StartsWith(message, "\"Unhandled Error\"")) {
    return unwrapStructured(message);
  }
  return std::string(message);
}

KubectlLine classifyKubectlLine(absl::string_view line) {
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
    return brokenForward(text);
  }

  const bool error_line =
      absl::StartsWith(message, "error:") || absl::StartsWith(message, "Error from server") ||
      absl::StartsWith(message, "Unable to connect to the server") ||
      absl::StartsWith(message, "The connection to the server") ||
      (line.size() > 1 && (line[0] == 'E' || line[0] == 'F') && isDigit(line[1]));
  if (!error_line) {
    return {};
  }
  KubectlLine result{.kind = KubectlLine::Kind::kError};
  absl::string_view text = message;
  absl::ConsumePrefix(&text, "error: ");
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
  if (mentionsApiServerUnreachable(text)) {
    result.reason = absl::StrCat("API server unreachable: ", text);
  } else {
    result.reason = std::string(text);
  }
  return result;
}

}  // namespace pfd::core
