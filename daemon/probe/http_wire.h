#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "daemon/core/forward_spec.h"

// The bytes of a plain-HTTP httpGet probe: the request pfd sends, and a reader that follows the
// response far enough to decide the probe, the way the kubelet's prober does.
namespace pfd::probe {

// "/healthz" for "healthz"; characters a request line cannot carry (controls, space, non-ASCII)
// percent-encoded.
std::string requestTarget(const std::string& path);

// GET <target> HTTP/1.1 with Host (the endpoint, or the spec's Host header), User-Agent and
// Accept unless the spec sets them, "Connection: close" (one connection per probe, as the
// kubelet's DisableKeepAlives), then the spec's headers in order.
std::string probeRequest(const core::ProbeSpec& spec, const std::string& host_and_port);

// Reads one HTTP/1.x response as it arrives. The status decides the probe; the body is read (and
// dropped) up to kMaxBodyBytes, its Content-Length, its last chunk (Transfer-Encoding: chunked),
// or the end of the connection, so that the connection is closed with nothing unread (an unread
// byte would turn the close into a reset that kubectl port-forward reports as an error). A body
// cut short by the peer fails the probe, as it does the kubelet's.
class HttpResponseReader {
 public:
  static constexpr size_t kMaxHeadBytes = size_t{16} * 1024;
  // Like Kubernetes, only this much of a body is read.
  static constexpr size_t kMaxBodyBytes = size_t{10} * 1024;

  enum class Progress { kNeedMore, kDone, kFailed };

  Progress feed(absl::string_view bytes);
  // The peer closed the connection.
  Progress endOfStream();

  // Once a final (non-1xx) status line has been read.
  std::optional<int> status() const { return status_; }
  // Why the response could not be read, for kFailed: "connection closed without a response".
  const std::string& error() const { return error_; }

 private:
  // kNeedMore with status_ set for a final head, unset for an interim (1xx) one.
  Progress parseHead(absl::string_view head);
  Progress readBody(absl::string_view bytes);
  Progress readChunks(absl::string_view bytes);
  Progress onChunkLine(absl::string_view line);
  Progress fail(std::string error);

  // Where a chunked body is: a size line, its data, the CRLF after the data, or the trailer.
  enum class Chunk { kSize, kData, kDataEnd, kTrailer };

  std::string head_;
  std::optional<int> status_;
  std::optional<uint64_t> content_length_;
  uint64_t body_bytes_ = 0;
  bool chunked_ = false;
  Chunk chunk_ = Chunk::kSize;
  uint64_t chunk_left_ = 0;
  std::string chunk_line_;
  std::string error_;
};

}  // namespace pfd::probe
