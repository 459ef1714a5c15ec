#include "daemon/probe/http_prober.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "daemon/probe/curl_http_probe.h"
#include "daemon/probe/plain_http_probe.h"

namespace pfd::probe {

HttpProber::HttpProber(uv_loop_t* loop) : loop_(loop), multi_(CurlMultiLoop::create(loop)) {}

HttpProber::~HttpProber() = default;

ProbeHandlePtr HttpProber::run(const core::ProbeSpec& spec, const std::string& address,
                               std::function<void(ProbeResult)> done) {
  if (absl::AsciiStrToLower(spec.scheme) == "http") {
    return startPlainHttpProbe(loop_, spec, address, std::move(done));
  }
  // HTTPS, or a scheme CurlHttpProbe reports as unsupported.
  std::weak_ptr<CurlMultiLoop> multi;
  if (multi_.ok()) {
    multi = *multi_;
  }
  auto probe =
      std::make_unique<CurlHttpProbe>(loop_, std::move(multi), spec, address, std::move(done));
  if (multi_.ok()) {
    probe->start();
  } else {
    probe->failLater(std::string(multi_.status().message()));
  }
  return probe;
}

}  // namespace pfd::probe
