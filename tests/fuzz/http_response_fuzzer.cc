// Feeds arbitrary bytes, as a probed app (or whatever answers on its port) would send them, to the
// plain-HTTP probe's response reader. The first byte picks how the bytes are split into reads, so
// that a response cut anywhere is read the same way as in one piece.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "daemon/core/forward_spec.h"
#include "daemon/probe/http_wire.h"

namespace {

using pfd::probe::HttpResponseReader;
using Progress = HttpResponseReader::Progress;

Progress readAll(absl::string_view bytes, size_t read_size, HttpResponseReader& reader) {
  Progress progress = Progress::kNeedMore;
  while (progress == Progress::kNeedMore && !bytes.empty()) {
    const size_t n = std::min(read_size, bytes.size());
    progress = reader.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  if (progress == Progress::kNeedMore) {
    progress = reader.endOfStream();
  }
  return progress;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const size_t read_size = data[0] == 0 ? size : data[0];
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  HttpResponseReader split;
  const Progress split_progress = readAll(bytes, read_size, split);
  HttpResponseReader whole;
  const Progress whole_progress = readAll(bytes, bytes.size() + 1, whole);
  // The probe's verdict must not depend on how TCP cut the response.
  if (split_progress != whole_progress || split.status() != whole.status()) {
    std::abort();
  }
  if (split_progress == Progress::kDone && !split.status().has_value()) {
    std::abort();  // plain_http_probe.cc reads the status of every finished response
  }
  if (split_progress == Progress::kFailed && split.error().empty()) {
    std::abort();
  }

  // The request side takes the probe's path and headers from the config, also user text.
  pfd::core::ProbeSpec spec;
  spec.path = std::string(bytes);
  spec.headers.push_back({std::string(bytes), "x"});
  (void)pfd::probe::probeRequest(spec, "127.0.0.1:8080");
  return 0;
}
