#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
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

  uint16_t port = 0;                 // httpGet, tcpSocket
  std::string path = "/";            // httpGet
  std::string scheme = "HTTP";       // httpGet: HTTP or HTTPS
  std::vector<HttpHeader> headers;   // httpGet
  std::vector<std::string> command;  // exec
  // exec: set by pfd, never by the config. With held ports, PFD_UPSTREAM_PORT (and
  // PFD_UPSTREAM_PORT_<LOCAL> per port) name the port of the kubectl being probed.
  std::vector<std::pair<std::string, std::string>> environment;

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

  // pfd binds the local ports itself and relays each connection to kubectl, which listens on an
  // ephemeral loopback port; false: kubectl binds them (command forwards always do).
  bool hold_port = true;
  // How long a connection accepted while no kubectl serves waits before it is closed; 0: at once.
  Milliseconds hold_timeout{10000};
  // How long connections still open on a pod being left may keep it (make-before-break).
  Milliseconds drain_timeout{30000};
  // Client bytes kept per connection until the pod answers, so that a connection whose upstream
  // failed before answering is replayed on the next kubectl; 0: never replay.
  size_t replay_buffer = size_t{64} * 1024;
  // kAlways: kubectl runs from activation; kOnDemand: the ports are held and kubectl starts with
  // the first connection, and stops after idle_timeout without one.
  enum class Start { kAlways, kOnDemand };
  Start start = Start::kAlways;
  Milliseconds idle_timeout{15 * 60 * 1000};  // 0: never stop an on-demand forward

  bool isCommand() const { return !command.empty(); }
  // Whether pfd holds the local ports (and so relays every connection).
  bool holdsPorts() const { return hold_port && !isCommand(); }
  bool operator==(const ForwardSpec&) const = default;
};

}  // namespace pfd::core
