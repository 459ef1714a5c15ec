#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace pfd::app {

// The HTTP/1.1 side of GET /metrics, without sockets: pfd reads a request head, answers it, and
// closes the connection (Connection: close; Prometheus opens one per scrape or reuses none).
class MetricsHttp {
 public:
  // A request head larger than this is refused (400) without reading more.
  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr absl::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Where the request head ends in `received` (just past the blank line); nullopt while it may
  // still be incomplete.
  static std::optional<size_t> headEnd(absl::string_view received);

  // The whole response to `head` (the request line and headers): 200 with `body()` for GET
  // /metrics (any query string), 404 for another path, 405 for another method, 400 for anything
  // that is not an HTTP/1.x request line. `body` runs only for a 200.
  static std::string respond(absl::string_view head, const std::function<std::string()>& body);

  // A response with a short plain-text explanation (400 for a head over kMaxRequestBytes).
  static std::string error(int status, absl::string_view reason, absl::string_view text,
                           absl::string_view extra_headers = "");
};

}  // namespace pfd::app
