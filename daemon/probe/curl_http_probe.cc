#include "daemon/probe/curl_http_probe.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/probe/probe_messages.h"

namespace pfd::probe {
namespace {

bool isTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

// curl drops a header given as "Name:"; "Name;" is how it sends one with an empty value.
std::string headerLine(const core::HttpHeader& header) {
  if (header.value.empty()) {
    return absl::StrCat(header.name, ";");
  }
  return absl::StrCat(header.name, ": ", header.value);
}

}  // namespace

CurlHttpProbe::CurlHttpProbe(event::Dispatcher& dispatcher, std::weak_ptr<CurlMultiLoop> multi,
                             const core::ProbeSpec& spec, const std::string& address,
                             std::function<void(ProbeResult)> done)
    : dispatcher_(dispatcher),
      multi_(std::move(multi)),
      spec_(spec),
      address_(address),
      completion_(std::move(done)) {}

CurlHttpProbe::~CurlHttpProbe() {
  if (in_flight_) {
    if (CurlMultiLoopPtr multi = multi_.lock()) {
      multi->remove(easy_);
    }
  }
  releaseEasy();
}

void CurlHttpProbe::start() {
  // Plain HTTP never comes here (plain_http_probe.h).
  if (absl::AsciiStrToLower(spec_.scheme) != "https") {
    failLater(absl::StrCat("unsupported scheme \"", spec_.scheme,
                           "\" in httpGet probe; use HTTP or HTTPS"));
    return;
  }
  CurlMultiLoopPtr multi = multi_.lock();
  if (multi == nullptr) {
    failLater("HTTP prober was shut down before the probe started");
    return;
  }
  const std::string url =
      absl::StrCat("https://", endpointText(address_, spec_.port), requestTarget(spec_.path));
  if (absl::Status status = configure(url); !status.ok()) {
    failLater(std::string(status.message()));
    return;
  }
  if (absl::Status status = multi->add(easy_, [this](CURLcode code) { onTransferDone(code); });
      !status.ok()) {
    failLater(std::string(status.message()));
    return;
  }
  in_flight_ = true;
}

absl::Status CurlHttpProbe::configure(const std::string& url) {
  easy_ = curl_easy_init();
  if (easy_ == nullptr) {
    return absl::ResourceExhaustedError("cannot create a curl handle for an HTTP probe");
  }
  for (const core::HttpHeader& header : spec_.headers) {
    curl_slist* extended = curl_slist_append(headers_, headerLine(header).c_str());
    if (extended == nullptr) {
      return absl::ResourceExhaustedError("cannot build the HTTP probe's request headers");
    }
    headers_ = extended;
  }
  // Options that cannot fail for a curl built with HTTP and TLS support; a bad URL or an
  // unsupported feature surfaces as the transfer's result instead.
  curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(easy_, CURLOPT_USERAGENT, "pfd-probe/" PFD_VERSION);
  // 0 would mean "no timeout" to curl; a probe must always end.
  curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, std::max<long>(1, spec_.timeout.count()));
  // Kubernetes reports a redirect as success without following it.
  curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
  // A user's http_proxy/https_proxy must not capture probes of the forward's local port.
  curl_easy_setopt(easy_, CURLOPT_NOPROXY, "*");
  // Each probe opens a new connection, as Kubernetes does: a kept-alive connection through the
  // tunnel would hide that new connections no longer get through.
  curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  // The kubelet never verifies a probe's certificate: a pod's probe asks "does it answer", not
  // "who is it", and a probe copied from a pod spec must pass here as it passes there.
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &CurlHttpProbe::discardBody);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
  return absl::OkStatus();
}

void CurlHttpProbe::failLater(std::string message) {
  releaseEasy();
  deferred_failure_ = std::move(message);
  // done must never run inside run(), so even an error known at once waits for the loop.
  deferred_ = dispatcher_.createTimer(
      [this] { completion_.complete(completion_.result(false, std::move(deferred_failure_))); });
  deferred_->enable(std::chrono::milliseconds(0));
}

size_t CurlHttpProbe::discardBody(char* /*data*/, size_t size, size_t count, void* self) {
  auto* probe = static_cast<CurlHttpProbe*>(self);
  const size_t bytes = size * count;
  probe->body_bytes_ += bytes;
  if (probe->body_bytes_ > kMaxBodyBytes) {
    probe->body_capped_ = true;
    return 0;  // Ends the transfer with CURLE_WRITE_ERROR.
  }
  return bytes;
}

void CurlHttpProbe::onTransferDone(CURLcode code) {
  in_flight_ = false;
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  ProbeResult result;
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && body_capped_)) {
    // Kubernetes: 200 <= status < 400 is success, so redirects count as ready.
    const bool success = status >= 200 && status < 400;
    result = completion_.result(
        success, success ? absl::StrCat("HTTP ", status)
                         : absl::StrCat("HTTP ", status, " from ", requestTarget(spec_.path)));
  } else {
    result = completion_.result(false, failureMessage(code));
  }
  char* local_ip = nullptr;
  if (curl_easy_getinfo(easy_, CURLINFO_LOCAL_IP, &local_ip) == CURLE_OK && local_ip != nullptr) {
    result.local_address = local_ip;
  }
  releaseEasy();
  completion_.complete(std::move(result));
}

std::string CurlHttpProbe::failureMessage(CURLcode code) const {
  const std::string detail = error_[0] != '\0' ? std::string(error_) : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return timeoutMessage(spec_.timeout);
  }
  if (code == CURLE_COULDNT_CONNECT) {
    long os_error = 0;
    curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_error);
    if (os_error == ECONNREFUSED) {
      return connectionRefusedMessage(address_, spec_.port);
    }
    return absl::StrCat("cannot connect to ", endpointText(address_, spec_.port), ": ", detail);
  }
  if (isTlsError(code)) {
    return absl::StrCat("TLS: ", detail);
  }
  return absl::StrCat("HTTP GET ", requestTarget(spec_.path), " on ",
                      endpointText(address_, spec_.port), " failed: ", detail);
}

void CurlHttpProbe::releaseEasy() {
  if (easy_ != nullptr) {
    curl_easy_cleanup(easy_);
    easy_ = nullptr;
  }
  if (headers_ != nullptr) {
    curl_slist_free_all(headers_);
    headers_ = nullptr;
  }
}

}  // namespace pfd::probe
