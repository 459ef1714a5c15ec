#include "daemon/probe/plain_http_probe.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/probe/http_wire.h"
#include "daemon/probe/probe_connection.h"
#include "daemon/probe/probe_messages.h"

namespace pfd::probe {
namespace {

class PlainHttpProbe : public ProbeHandle {
 public:
  PlainHttpProbe(event::LibuvDispatcher& dispatcher, const core::ProbeSpec& spec,
                 std::string address, std::function<void(ProbeResult)> done)
      : target_(requestTarget(spec.path)),
        connection_(dispatcher, std::move(address), spec.port, spec.timeout, std::move(done)) {}

  void start(const core::ProbeSpec& spec) {
    std::string request =
        probeRequest(spec, endpointText(connection_.address(), connection_.port()));
    connection_.connect([this, request = std::move(request)]() mutable {
      connection_.exchange(std::move(request),
                           [this](ssize_t bytes, const char* data) { onReceived(bytes, data); });
    });
  }

 private:
  void onReceived(ssize_t bytes, const char* data) {
    HttpResponseReader::Progress progress;
    if (bytes > 0) {
      progress = reader_.feed(absl::string_view(data, static_cast<size_t>(bytes)));
    } else if (bytes == UV_EOF) {
      progress = reader_.endOfStream();
    } else {
      connection_.finish(false, requestFailed(uv_strerror(static_cast<int>(bytes))));
      return;
    }
    switch (progress) {
      case HttpResponseReader::Progress::kNeedMore:
        return;
      case HttpResponseReader::Progress::kFailed:
        connection_.finish(false, requestFailed(reader_.error()));
        return;
      case HttpResponseReader::Progress::kDone: {
        // Kubernetes: 200 <= status < 400 is success, so redirects count as ready.
        const int status = *reader_.status();
        const bool success = status >= 200 && status < 400;
        connection_.finish(success, success ? absl::StrCat("HTTP ", status)
                                            : absl::StrCat("HTTP ", status, " from ", target_));
        return;
      }
    }
  }

  std::string requestFailed(absl::string_view detail) const {
    return absl::StrCat("HTTP GET ", target_, " on ",
                        endpointText(connection_.address(), connection_.port()),
                        " failed: ", detail);
  }

  const std::string target_;
  HttpResponseReader reader_;
  ProbeConnection connection_;
};

}  // namespace

ProbeHandlePtr startPlainHttpProbe(event::LibuvDispatcher& dispatcher, const core::ProbeSpec& spec,
                                   const std::string& address,
                                   std::function<void(ProbeResult)> done) {
  auto probe = std::make_unique<PlainHttpProbe>(dispatcher, spec, address, std::move(done));
  probe->start(spec);
  return probe;
}

}  // namespace pfd::probe
