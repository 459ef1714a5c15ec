#include "daemon/probe/http_wire.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pfd::probe {
namespace {

const core::HttpHeader* findHeader(const core::ProbeSpec& spec, absl::string_view name) {
  for (const core::HttpHeader& header : spec.headers) {
    if (absl::EqualsIgnoreCase(header.name, name)) {
      return &header;
    }
  }
  return nullptr;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// "HTTP/1.1 200 OK": the status, or nothing for anything else.
std::optional<int> statusOf(absl::string_view line) {
  // HTTP/d.d SP ddd [SP reason]
  if (line.size() < 12 || !absl::StartsWith(line, "HTTP/") || !isDigit(line[5]) || line[6] != '.' ||
      !isDigit(line[7]) || line[8] != ' ' || !isDigit(line[9]) || !isDigit(line[10]) ||
      !isDigit(line[11]) || (line.size() > 12 && line[12] != ' ')) {
    return std::nullopt;
  }
  return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

// Whether `head`, which holds no blank line yet, ends with the start of one that starts at or
// before `limit`.
bool blankLineMayStartWithin(absl::string_view head, size_t limit) {
  for (size_t start = head.size() > 3 ? head.size() - 3 : 0; start < head.size() && start <= limit;
       ++start) {
    const absl::string_view tail = head.substr(start);
    if (absl::StartsWith("\r\n\r\n", tail) || absl::StartsWith("\n\n", tail)) {
      return true;
    }
  }
  return false;
}

std::string quoted(absl::string_view text) {
  constexpr size_t kShown = 60;
  const bool cut = text.size() > kShown;
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kShown)), cut ? "..." : "", "\"");
}

}  // namespace

std::string requestTarget(const std::string& path) {
  std::string target = absl::StartsWith(path, "/") ? "" : "/";
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      constexpr char kHex[] = "0123456789ABCDEF";
      target.append({'%', kHex[byte >> 4], kHex[byte & 0xf]});
    } else {
      target.push_back(c);
    }
  }
  return target;
}

std::string probeRequest(const core::ProbeSpec& spec, const std::string& host_and_port) {
  const core::HttpHeader* host = findHeader(spec, "Host");
  std::string request =
      absl::StrCat("GET ", requestTarget(spec.path),
                   " HTTP/1.1\r\nHost: ", host != nullptr ? host->value : host_and_port, "\r\n");
  if (findHeader(spec, "User-Agent") == nullptr) {
    absl::StrAppend(&request, "User-Agent: pfd-probe/" PFD_VERSION "\r\n");
  }
  if (findHeader(spec, "Accept") == nullptr) {
    absl::StrAppend(&request, "Accept: */*\r\n");
  }
  absl::StrAppend(&request, "Connection: close\r\n");
  for (const core::HttpHeader& header : spec.headers) {
    if (&header != host) {
      absl::StrAppend(&request, header.name, ": ", header.value, "\r\n");
    }
  }
  absl::StrAppend(&request, "\r\n");
  return request;
}

HttpResponseReader::Progress HttpResponseReader::feed(absl::string_view bytes) {
  if (status_.has_value()) {
    return readBody(bytes);
  }
  head_.append(bytes.data(), bytes.size());
  while (true) {
    size_t end = head_.find("\r\n\r\n");
    size_t separator = 4;
    // Some minimal servers end lines with a bare LF; Go's client accepts that too.
    if (const size_t bare = head_.find("\n\n"); bare < end) {
      end = bare;
      separator = 2;
    }
    // The cap is on the head before its blank line, however the bytes were cut into reads:
    // without a blank line yet, the head is too long once none can start within the cap.
    if (end == std::string::npos
            ? head_.size() > kMaxHeadBytes && !blankLineMayStartWithin(head_, kMaxHeadBytes)
            : end > kMaxHeadBytes) {
      return fail(absl::StrCat("response headers longer than ", kMaxHeadBytes / 1024, " KiB"));
    }
    if (end == std::string::npos) {
      return Progress::kNeedMore;
    }
    if (parseHead(absl::string_view(head_).substr(0, end)) == Progress::kFailed) {
      return Progress::kFailed;
    }
    if (!status_.has_value()) {
      head_.erase(0, end + separator);  // an interim 1xx response: the final one follows
      continue;
    }
    const std::string rest = head_.substr(end + separator);
    head_.clear();
    if (*status_ == 101 || *status_ == 204 || *status_ == 304) {
      return Progress::kDone;  // no body
    }
    return readBody(rest);
  }
}

HttpResponseReader::Progress HttpResponseReader::parseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  const absl::string_view status_line = absl::StripSuffix(lines[0], "\r");
  const std::optional<int> status = statusOf(status_line);
  if (!status.has_value()) {
    return fail(absl::StrCat("not an HTTP response: ", quoted(status_line)));
  }
  if (*status >= 100 && *status < 200 && *status != 101) {
    return Progress::kNeedMore;
  }
  bool chunked = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(absl::StripSuffix(lines[i], "\r"), absl::MaxSplits(':', 1));
    const absl::string_view value = absl::StripAsciiWhitespace(field.second);
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(field.first), "Content-Length")) {
      uint64_t length = 0;
      if (!absl::SimpleAtoi(value, &length)) {
        return fail(absl::StrCat("invalid Content-Length ", quoted(value)));
      }
      content_length_ = length;
    } else if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(field.first),
                                      "Transfer-Encoding")) {
      // "chunked" is always the last coding; anything else ends with the connection.
      chunked = absl::EndsWithIgnoreCase(value, "chunked");
    }
  }
  if (chunked) {
    content_length_.reset();  // a chunked body ignores Content-Length (RFC 9112, 6.3)
  }
  chunked_ = chunked;
  status_ = status;
  return Progress::kNeedMore;
}

HttpResponseReader::Progress HttpResponseReader::readBody(absl::string_view bytes) {
  if (chunked_) {
    return readChunks(bytes);
  }
  body_bytes_ += bytes.size();
  if (content_length_.has_value() && body_bytes_ >= *content_length_) {
    return Progress::kDone;
  }
  if (body_bytes_ >= kMaxBodyBytes) {
    return Progress::kDone;
  }
  return Progress::kNeedMore;
}

// A server that ignores "Connection: close" and keeps the connection open after its last chunk
// would otherwise hold the probe until its timeout.
HttpResponseReader::Progress HttpResponseReader::readChunks(absl::string_view bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    if (chunk_ == Chunk::kData) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_left_, bytes.size() - at));
      at += take;
      chunk_left_ -= take;
      body_bytes_ += take;
      if (body_bytes_ >= kMaxBodyBytes) {
        return Progress::kDone;
      }
      if (chunk_left_ == 0) {
        chunk_ = Chunk::kDataEnd;
      }
      continue;
    }
    const size_t newline = bytes.find('\n', at);
    const size_t end = newline == absl::string_view::npos ? bytes.size() : newline;
    chunk_line_.append(bytes.data() + at, end - at);
    if (chunk_line_.size() > kMaxHeadBytes) {
      return fail("a chunk header or trailer line longer than 16 KiB");
    }
    if (newline == absl::string_view::npos) {
      return Progress::kNeedMore;
    }
    at = newline + 1;
    const std::string line = std::move(chunk_line_);
    chunk_line_.clear();
    if (Progress progress = onChunkLine(absl::StripSuffix(line, "\r"));
        progress != Progress::kNeedMore) {
      return progress;
    }
  }
  return Progress::kNeedMore;
}

HttpResponseReader::Progress HttpResponseReader::onChunkLine(absl::string_view line) {
  switch (chunk_) {
    case Chunk::kDataEnd:
      if (!line.empty()) {
        return fail("malformed chunked body: no line end after a chunk");
      }
      chunk_ = Chunk::kSize;
      return Progress::kNeedMore;
    case Chunk::kSize: {
      const absl::string_view size_text =
          absl::StripAsciiWhitespace(line.substr(0, line.find(';')));  // extensions ignored
      uint64_t size = 0;
      if (size_text.empty() || size_text.size() > 15 || !absl::SimpleHexAtoi(size_text, &size)) {
        return fail(absl::StrCat("invalid chunk size ", quoted(size_text)));
      }
      chunk_left_ = size;
      chunk_ = size == 0 ? Chunk::kTrailer : Chunk::kData;
      return Progress::kNeedMore;
    }
    case Chunk::kTrailer:
      return line.empty() ? Progress::kDone : Progress::kNeedMore;
    case Chunk::kData:
      break;
  }
  return Progress::kNeedMore;
}

HttpResponseReader::Progress HttpResponseReader::endOfStream() {
  if (!status_.has_value()) {
    return fail(head_.empty() ? "connection closed without a response"
                              : "connection closed in the middle of the response headers");
  }
  if (content_length_.has_value() && body_bytes_ < *content_length_) {
    return fail(absl::StrCat("connection closed after ", body_bytes_, " of ", *content_length_,
                             " body bytes"));
  }
  if (chunked_) {
    return fail("connection closed in the middle of a chunked body");
  }
  return Progress::kDone;
}

HttpResponseReader::Progress HttpResponseReader::fail(std::string error) {
  error_ = std::move(error);
  status_.reset();
  return Progress::kFailed;
}

}  // namespace pfd::probe
