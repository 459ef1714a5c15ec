#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pfd::core {

using Milliseconds = std::chrono::milliseconds;

// Restart delays: initial * multiplier^attempt, capped at max, +/- jitter (a fraction), and back
// to initial once a run lasted resetAfter.
struct BackoffSpec {
  Milliseconds initial{500};
  Milliseconds max{30000};
  double multiplier = 2.0;
  double jitter = 0.2;
  Milliseconds reset_after{60000};

  bool operator==(const BackoffSpec&) const = default;
};

struct PortSpec {
  uint16_t local = 0;
  std::string remote;  // a port number, or a named container port (kubectl accepts both)

  bool operator==(const PortSpec&) const = default;
};

struct HttpHeader {
  std::string name;
  std::string value;

  bool operator==(const HttpHeader&) const = default;
};

// A Kubernetes-style readiness probe; ports are local ports of the forward, so a probe goes
// through the tunnel.
struct ProbeSpec {
  enum class Kind { kHttpGet, kTcpSocket, kExec };
  Kind kind = Kind::kTcpSocket;

  uint16_t port = 0;                  // httpGet, tcpSocket
  std::string path = "/";             // httpGet
  std::string scheme = "HTTP";        // httpGet: HTTP or HTTPS
  std::vector<HttpHeader> headers;    // httpGet
  bool insecure_skip_verify = false;  // httpGet over HTTPS with a dev certificate
  std::vector<std::string> command;   // exec

  Milliseconds initial_delay{0};
  Milliseconds period{10000};
  Milliseconds timeout{1000};
  int success_threshold = 1;
  int failure_threshold = 3;

  bool operator==(const ProbeSpec&) const = default;
};

// One entry of the forward list, with the defaults already applied. Two specs that compare equal
// describe the same child, which is how a reload decides what it may leave running.
struct ForwardSpec {
  std::string name;
  std::string target;                // kubectl target (deployment/web); empty for command forwards
  std::vector<std::string> command;  // any other port-forwarding program; empty for kubectl ones
  std::vector<PortSpec> ports;

  std::string kubectl = "kubectl";
  std::string kubeconfig;  // empty: kubectl's own default (KUBECONFIG, ~/.kube/config)
  std::string context;     // empty: current-context
  std::string namespace_name = "default";
  std::string address = "127.0.0.1";

  BackoffSpec backoff;
  bool enabled = true;
  // A start that has not forwarded every port within this is killed and retried: a kubectl whose
  // API server accepts but never answers would otherwise wait forever.
  Milliseconds start_timeout{30000};
  // Passed to kubectl as --request-timeout.
  Milliseconds request_timeout{10000};
  std::optional<ProbeSpec> readiness;

  bool isCommand() const { return !command.empty(); }
  bool operator==(const ForwardSpec&) const = default;
};

}  // namespace pfd::core
