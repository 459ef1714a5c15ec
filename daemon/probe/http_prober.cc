#include "daemon/probe/http_prober.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "daemon/probe/curl_http_probe.h"
#include "daemon/probe/plain_http_probe.h"

namespace pfd::probe {

HttpProber::HttpProber(event::LibuvDispatcher& dispatcher)
    : dispatcher_(dispatcher), multi_(CurlMultiLoop::create(dispatcher)) {}

HttpProber::~HttpProber() = default;

ProbeHandlePtr HttpProber::run(const core::ProbeSpec& spec, const std::string& address,
                               std::function<void(ProbeResult)> done) {
  if (absl::AsciiStrToLower(spec.scheme) == "http") {
    return startPlainHttpProbe(dispatcher_, spec, address, std::move(done));
  }
  // HTTPS, or a scheme CurlHttpProbe reports as unsupported.
  std::weak_ptr<CurlMultiLoop> multi;
  if (multi_.ok()) {
    multi = *multi_;
  }
  auto probe = std::make_unique<CurlHttpProbe>(dispatcher_, std::move(multi), spec, address,
                                               std::move(done));
  if (multi_.ok()) {
    probe->start();
  } else {
    probe->failLater(std::string(multi_.status().message()));
  }
  return probe;
}

}  // namespace pfd::probe
