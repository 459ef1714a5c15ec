#include "daemon/app/metrics_http.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pfd::app {
namespace {

std::string response(int status, absl::string_view reason, absl::string_view content_type,
                     absl::string_view extra_headers, absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status, " ", reason, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\n", extra_headers,
                      "Connection: close\r\n\r\n", body);
}

bool isToken(absl::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c)) &&
        !absl::ascii_islower(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<size_t> MetricsHttp::headEnd(absl::string_view received) {
  if (const size_t end = received.find("\r\n\r\n"); end != absl::string_view::npos) {
    return end + 4;
  }
  // Bare LF line ends are tolerated, as most servers do.
  if (const size_t end = received.find("\n\n"); end != absl::string_view::npos) {
    return end + 2;
  }
  return std::nullopt;
}

std::string MetricsHttp::error(int status, absl::string_view reason, absl::string_view text,
                               absl::string_view extra_headers) {
  return response(status, reason, "text/plain; charset=utf-8", extra_headers,
                  absl::StrCat(text, "\n"));
}

std::string MetricsHttp::respond(absl::string_view head, const std::function<std::string()>& body) {
  const absl::string_view request_line = head.substr(0, head.find('\n'));
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(request_line), ' ');
  if (parts.size() != 3 || !isToken(parts[0]) || parts[1].empty() ||
      !absl::StartsWith(parts[2], "HTTP/1.")) {
    return error(400, "Bad Request", "pfd serves GET /metrics over HTTP/1.1");
  }
  const absl::string_view method = parts[0];
  absl::string_view path = parts[1];
  path = path.substr(0, path.find('?'));
  if (path != "/metrics") {
    return error(404, "Not Found", "pfd serves only /metrics");
  }
  if (method != "GET") {
    return error(405, "Method Not Allowed", "/metrics answers GET only", "Allow: GET\r\n");
  }
  return response(200, "OK", kContentType, "", body());
}

}  // namespace pfd::app
