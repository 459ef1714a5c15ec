#pragma once

#include "absl/time/time.h"
#include "client/render/proto_time.h"
#include "pfd/v1/control.pb.h"

namespace pfd::client::fixtures {

// A kubectl forward that is READY and whose probe passes.
inline pfd::v1::Forward readyWebForward() {
  pfd::v1::Forward forward;
  forward.set_name("web");
  forward.set_target("deployment/web");
  forward.set_namespace_("shop");
  forward.set_context("kind-dev");
  auto* http = forward.add_ports();
  http->set_local_port(8080);
  http->set_remote_port("8000");
  auto* metrics = forward.add_ports();
  metrics->set_local_port(9090);
  metrics->set_remote_port("9090");
  forward.set_state(pfd::v1::FORWARD_STATE_READY);
  forward.set_pid(4242);
  forward.set_pod("web-7d4b9c-x2x");
  forward.set_restarts(0);
  toProto(absl::Minutes(3) + absl::Seconds(12), forward.mutable_time_in_state());
  forward.set_enabled(true);
  forward.set_address("127.0.0.1");
  auto* probe = forward.mutable_readiness();
  probe->set_kind("httpGet");
  probe->set_success(true);
  probe->set_message("HTTP 200");
  toProto(absl::Milliseconds(3), probe->mutable_latency());
  toProto(absl::FromUnixSeconds(1'700'000'000), probe->mutable_time());
  probe->set_consecutive_successes(12);
  return forward;
}

// A command forward in BACKOFF after a failure, retrying 3 seconds after `now`.
inline pfd::v1::Forward backoffDbForward(absl::Time now) {
  pfd::v1::Forward forward;
  forward.set_name("db");
  forward.add_command("socat");
  forward.add_command("TCP-LISTEN:5432");
  forward.add_command("EXEC:ssh db nc");
  auto* port = forward.add_ports();
  port->set_local_port(5432);
  port->set_remote_port("5432");
  forward.set_state(pfd::v1::FORWARD_STATE_BACKOFF);
  forward.set_restarts(4);
  toProto(absl::Seconds(45), forward.mutable_time_in_state());
  forward.set_last_error("exited with code 1: unable to forward port because pod is not running");
  toProto(now + absl::Seconds(3), forward.mutable_next_retry_time());
  forward.set_enabled(true);
  auto* probe = forward.mutable_readiness();
  probe->set_kind("httpGet");
  probe->set_success(false);
  probe->set_message("HTTP 503");
  toProto(absl::Milliseconds(12), probe->mutable_latency());
  toProto(now - absl::Seconds(50), probe->mutable_time());
  probe->set_consecutive_failures(3);
  return forward;
}

}  // namespace pfd::client::fixtures
