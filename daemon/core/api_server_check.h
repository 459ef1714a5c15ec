#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/core/cluster.h"
#include "daemon/event/dispatcher.h"
#include "daemon/probe/prober.h"
#include "daemon/process/process_launcher.h"

namespace pfd::core {

// Where a kubeconfig context's API server listens, as `kubectl config view --minify` says.
struct ApiServerEndpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address, or an IPv6 one without brackets
  uint16_t port = 0;
  std::string path_prefix;  // "" or "/some/prefix" (a proxy in front of the API server)
};

// "https://10.0.0.1:6443", "http://[::1]:8080/prefix"; InvalidArgument for anything else.
absl::StatusOr<ApiServerEndpoint> parseApiServerUrl(absl::string_view url);

// The production ClusterChecker. A check is cheap while the API server is away: a GET of
// /readyz straight from pfd (a TCP connect, the TLS handshake for https, one request; no
// certificate checks, as the kubelet's probes) tells a server that refuses, hangs or answers 5xx
// without starting anything. Only when the server answers something else (401: anonymous
// requests are off) does one `kubectl get --raw /readyz` with a short --request-timeout ask
// with the user's own credentials. The server's address is read once per cluster.
class ApiServerChecker : public ClusterChecker {
 public:
  struct Options {
    Milliseconds probe_timeout{1000};
    Milliseconds kubectl_timeout{2000};  // --request-timeout of the kubectl confirmation
  };
  ApiServerChecker(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher,
                   probe::Prober& prober, Options options);
  ~ApiServerChecker() override;

  ClusterCheckPtr check(const ClusterKey& key,
                        std::function<void(ClusterCheckResult)> done) override;

  // The argv of the lookups, for tests.
  static std::vector<std::string> configViewArgv(const ClusterKey& key);
  static std::vector<std::string> readyzArgv(const ClusterKey& key, Milliseconds timeout);

 private:
  class Run;
  struct Endpoint {
    std::optional<ApiServerEndpoint> endpoint;  // nullopt: only kubectl can tell
    std::string context;
  };

  event::Dispatcher& dispatcher_;
  process::ProcessLauncher& launcher_;
  probe::Prober& prober_;
  Options options_;
  std::map<ClusterKey, Endpoint> endpoints_;
};

}  // namespace pfd::core
