#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "daemon/core/forward_spec.h"
#include "daemon/event/dispatcher.h"
#include "daemon/probe/curl_multi_loop.h"
#include "daemon/probe/http_wire.h"
#include "daemon/probe/probe_completion.h"
#include "daemon/probe/prober.h"

namespace pfd::probe {

// One httpGet check over HTTPS in flight (plain HTTP goes through plain_http_probe.h): a curl
// easy handle on the prober's CurlMultiLoop. Destroying it removes the transfer, so its callback
// never runs.
class CurlHttpProbe : public ProbeHandle {
 public:
  // Like Kubernetes, only this much of a body is read; a longer one ends the transfer, and the
  // status line already decided the result.
  static constexpr size_t kMaxBodyBytes = HttpResponseReader::kMaxBodyBytes;

  CurlHttpProbe(event::Dispatcher& dispatcher, std::weak_ptr<CurlMultiLoop> multi,
                const core::ProbeSpec& spec, const std::string& address,
                std::function<void(ProbeResult)> done);
  ~CurlHttpProbe() override;
  CurlHttpProbe(const CurlHttpProbe&) = delete;
  CurlHttpProbe& operator=(const CurlHttpProbe&) = delete;

  void start();
  // For a prober that could not set up libcurl: the probe fails with `message`, on the loop.
  void failLater(std::string message);

 private:
  static size_t discardBody(char* data, size_t size, size_t count, void* self);

  absl::Status configure(const std::string& url);
  void onTransferDone(CURLcode code);
  std::string failureMessage(CURLcode code) const;
  void releaseEasy();

  event::Dispatcher& dispatcher_;
  std::weak_ptr<CurlMultiLoop> multi_;
  const core::ProbeSpec spec_;
  const std::string address_;
  ProbeCompletion completion_;
  event::TimerPtr deferred_;
  std::string deferred_failure_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  bool in_flight_ = false;
  bool body_capped_ = false;
  size_t body_bytes_ = 0;
  char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace pfd::probe
