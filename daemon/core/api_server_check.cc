#include "daemon/core/api_server_check.h"

#include <arpa/inet.h>

#include <charconv>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/core/child_command.h"
#include "daemon/core/kubectl_output.h"
#include "daemon/core/wording.h"

namespace pfd::core {
namespace {

bool isIpLiteral(const std::string& host) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// "HTTP 503 from /readyz" -> 503; 0 when the server gave no HTTP answer.
int httpStatusOf(absl::string_view message) {
  if (!absl::ConsumePrefix(&message, "HTTP ")) {
    return 0;
  }
  int status = 0;
  auto [end, error] = std::from_chars(message.data(), message.data() + message.size(), status);
  return error == std::errc() && end != message.data() ? status : 0;
}

void appendScope(const ClusterKey& key, std::vector<std::string>& argv) {
  if (!key.context.empty()) {
    argv.insert(argv.end(), {"--context", key.context});
  }
  if (!key.kubeconfig.empty()) {
    argv.insert(argv.end(), {"--kubeconfig", key.kubeconfig});
  }
}

}  // namespace

absl::StatusOr<ApiServerEndpoint> parseApiServerUrl(absl::string_view url) {
  ApiServerEndpoint endpoint;
  absl::string_view rest = absl::StripAsciiWhitespace(url);
  const size_t scheme_end = rest.find("://");
  if (scheme_end == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("API server URL \"", url, "\" has no scheme"));
  }
  endpoint.scheme = absl::AsciiStrToLower(rest.substr(0, scheme_end));
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("API server URL \"", url, "\": scheme is not http or https"));
  }
  rest.remove_prefix(scheme_end + 3);
  const size_t path_at = rest.find('/');
  absl::string_view authority = rest.substr(0, path_at);
  if (path_at != absl::string_view::npos) {
    endpoint.path_prefix = std::string(absl::StripSuffix(rest.substr(path_at), "/"));
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("API server URL \"", url, "\": unclosed ["));
    }
    endpoint.host = std::string(authority.substr(0, close));
    authority.remove_prefix(close + 1);
    if (absl::ConsumePrefix(&authority, ":")) {
      port_text = authority;
    } else if (!authority.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("API server URL \"", url, "\": bad host"));
    }
  } else {
    const size_t colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  if (endpoint.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("API server URL \"", url, "\" has no host"));
  }
  uint32_t port = endpoint.scheme == "https" ? 443 : 80;
  if (!port_text.empty() && (!absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("API server URL \"", url, "\": bad port"));
  }
  endpoint.port = static_cast<uint16_t>(port);
  return endpoint;
}

// One check: the address (once per cluster), the cheap look, kubectl if the look cannot tell.
class ApiServerChecker::Run : public ClusterCheck {
 public:
  Run(ApiServerChecker& checker, ClusterKey key, std::function<void(ClusterCheckResult)> done)
      : checker_(checker), key_(std::move(key)), done_(std::move(done)) {}

  void start() {
    auto known = checker_.endpoints_.find(key_);
    if (known == checker_.endpoints_.end()) {
      readEndpoint();
    } else {
      look(known->second);
    }
  }

 private:
  void readEndpoint() {
    spawn(configViewArgv(key_), [this](const std::string& out, const std::string& error, bool ok) {
      if (!ok) {
        finish({.up = false,
                .reason = error.empty() ? "kubectl config view failed" : error,
                .used_kubectl = true});
        return;
      }
      std::vector<std::string> lines = absl::StrSplit(out, '\n');
      Endpoint endpoint;
      endpoint.context = lines.empty() ? "" : std::string(absl::StripAsciiWhitespace(lines[0]));
      if (lines.size() > 1) {
        auto parsed = parseApiServerUrl(lines[1]);
        // A plain-http server by name is left to kubectl (the plain prober takes addresses).
        if (parsed.ok() && (parsed->scheme == "https" || isIpLiteral(parsed->host))) {
          endpoint.endpoint = *parsed;
        }
      }
      checker_.endpoints_[key_] = endpoint;
      look(endpoint);
    });
  }

  void look(const Endpoint& endpoint) {
    context_ = endpoint.context;
    if (!endpoint.endpoint.has_value()) {
      askKubectl();
      return;
    }
    const ApiServerEndpoint& server = *endpoint.endpoint;
    ProbeSpec spec{.kind = ProbeSpec::Kind::kHttpGet,
                   .port = server.port,
                   .path = server.path_prefix + "/readyz",
                   .scheme = server.scheme == "https" ? "HTTPS" : "HTTP",
                   .timeout = checker_.options_.probe_timeout};
    probe_ = checker_.prober_.run(spec, server.host, [this](probe::ProbeResult result) {
      local_address_ = result.local_address;
      if (result.success) {
        finish({.up = true});
        return;
      }
      const int status = httpStatusOf(result.message);
      if (status >= 500 || status == 0) {
        finish({.up = false,
                .reason = status == 0 ? result.message
                                      : absl::StrCat("the API server answers ", result.message)});
        return;
      }
      askKubectl();  // it answers, but not to us: only our credentials can tell
    });
  }

  void askKubectl() {
    spawn(
        readyzArgv(key_, checker_.options_.kubectl_timeout),
        [this](const std::string& /*out*/, const std::string& error, bool ok) {
          finish({.up = ok,
                  .reason = ok ? "" : (error.empty() ? "kubectl get --raw /readyz failed" : error),
                  .used_kubectl = true});
        });
  }

  void spawn(std::vector<std::string> argv,
             std::function<void(const std::string& out, const std::string& error, bool ok)> then) {
    out_.clear();
    error_.clear();
    // The previous kubectl may be calling us from its exit callback: release it on the next turn.
    checker_.dispatcher_.post([released = std::move(process_)] {});
    auto process = checker_.launcher_.spawn(
        {.argv = std::move(argv)},
        {.on_line =
             [this](process::OutputStream stream, std::string_view line) {
               if (stream == process::OutputStream::kStdout) {
                 absl::StrAppend(&out_, absl::string_view(line.data(), line.size()), "\n");
                 return;
               }
               KubectlLine parsed =
                   classifyKubectlLine(absl::string_view(line.data(), line.size()));
               if (!parsed.reason.empty()) {
                 error_ = parsed.reason;
               }
             },
         .on_exit =
             [this, then = std::move(then)](process::ExitStatus status) {
               then(out_, error_, status.exit_code == 0 && status.term_signal == 0);
             }});
    if (!process.ok()) {
      std::string message(process.status().message());
      checker_.dispatcher_.post(
          [this, message] { finish({.up = false, .reason = message, .used_kubectl = true}); });
      return;
    }
    process_ = std::move(*process);
  }

  void finish(ClusterCheckResult result) {
    result.context = context_;
    result.local_address = local_address_;
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) {
      done(std::move(result));  // may destroy this run: nothing after
    }
  }

  ApiServerChecker& checker_;
  const ClusterKey key_;
  std::function<void(ClusterCheckResult)> done_;
  std::string context_;
  std::string local_address_;  // of the cheap look's connection
  process::ProcessPtr process_;
  probe::ProbeHandlePtr probe_;
  std::string out_;
  std::string error_;
};

ApiServerChecker::ApiServerChecker(event::Dispatcher& dispatcher,
                                   process::ProcessLauncher& launcher, probe::Prober& prober,
                                   Options options)
    : dispatcher_(dispatcher), launcher_(launcher), prober_(prober), options_(options) {}

ApiServerChecker::~ApiServerChecker() = default;

ClusterCheckPtr ApiServerChecker::check(const ClusterKey& key,
                                        std::function<void(ClusterCheckResult)> done) {
  auto run = std::make_unique<Run>(*this, key, std::move(done));
  run->start();
  return run;
}

std::vector<std::string> ApiServerChecker::configViewArgv(const ClusterKey& key) {
  std::vector<std::string> argv = {
      key.kubectl, "config",
      "view",      "--minify",
      "-o",        R"(jsonpath={.current-context}{"\n"}{.clusters[0].cluster.server}{"\n"})"};
  appendScope(key, argv);
  return argv;
}

std::vector<std::string> ApiServerChecker::readyzArgv(const ClusterKey& key, Milliseconds timeout) {
  std::vector<std::string> argv = {key.kubectl, "get", "--raw", "/readyz",
                                   absl::StrCat("--request-timeout=", goDuration(timeout))};
  appendScope(key, argv);
  return argv;
}

}  // namespace pfd::core
