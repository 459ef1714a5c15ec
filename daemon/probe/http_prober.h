#pragma once

#include "absl/status/statusor.h"
#include "daemon/event/libuv_dispatcher.h"
#include "daemon/probe/curl_multi_loop.h"
#include "daemon/probe/prober.h"

namespace pfd::probe {

// httpGet probes with Kubernetes semantics: GET scheme://address:port/path with the spec's
// headers (a Host header replaces the host), no redirects followed, no proxy, a new connection
// per probe; success for a status in [200, 400). Plain HTTP runs on the loop's own TCP handles
// (plain_http_probe.h); HTTPS transfers share one libcurl multi handle driven by the loop.
//
// Destroying the prober cancels the transfers it still has in flight: their callbacks never run.
class HttpProber : public Prober {
 public:
  explicit HttpProber(event::LibuvDispatcher& dispatcher);
  ~HttpProber() override;

  ProbeHandlePtr run(const core::ProbeSpec& spec, const std::string& address,
                     std::function<void(ProbeResult)> done) override;

 private:
  event::LibuvDispatcher& dispatcher_;
  // An error when libcurl could not be set up: every probe then fails with it.
  absl::StatusOr<CurlMultiLoopPtr> multi_;
};

}  // namespace pfd::probe
