#include "daemon/rpc/proto_convert.h"

namespace pfd::rpc {
namespace {

const char* sourceName(core::LogLine::Source source) {
  switch (source) {
    case core::LogLine::Source::kStdout:
      return "stdout";
    case core::LogLine::Source::kStderr:
      return "stderr";
    case core::LogLine::Source::kPfd:
      return "pfd";
  }
  return "";
}

}  // namespace

const char* probeKindName(core::ProbeSpec::Kind kind) {
  switch (kind) {
    case core::ProbeSpec::Kind::kHttpGet:
      return "httpGet";
    case core::ProbeSpec::Kind::kTcpSocket:
      return "tcpSocket";
    case core::ProbeSpec::Kind::kExec:
      return "exec";
  }
  return "";
}

void toTimestamp(event::SystemTime time, google::protobuf::Timestamp* out) {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  out->set_seconds(since_epoch / 1000000000);
  out->set_nanos(static_cast<int32_t>(since_epoch % 1000000000));
}

void toDuration(std::chrono::nanoseconds duration, google::protobuf::Duration* out) {
  out->set_seconds(duration.count() / 1000000000);
  out->set_nanos(static_cast<int32_t>(duration.count() % 1000000000));
}

v1::ForwardState toProto(core::ForwardState state) {
  switch (state) {
    case core::ForwardState::kStarting:
      return v1::FORWARD_STATE_STARTING;
    case core::ForwardState::kReady:
      return v1::FORWARD_STATE_READY;
    case core::ForwardState::kUnhealthy:
      return v1::FORWARD_STATE_UNHEALTHY;
    case core::ForwardState::kBackoff:
      return v1::FORWARD_STATE_BACKOFF;
    case core::ForwardState::kStopped:
      return v1::FORWARD_STATE_STOPPED;
    case core::ForwardState::kFailed:
      return v1::FORWARD_STATE_FAILED;
    case core::ForwardState::kIdle:
      return v1::FORWARD_STATE_IDLE;
  }
  return v1::FORWARD_STATE_UNSPECIFIED;
}

void toProto(const core::Forward& forward, event::MonotonicTime now, v1::Forward* out) {
  const core::ForwardSpec& spec = forward.spec();
  out->set_name(spec.name);
  out->set_target(spec.target);
  for (const std::string& word : spec.command) {
    out->add_command(word);
  }
  if (!spec.isCommand()) {
    out->set_namespace_(spec.namespace_name);
    out->set_context(spec.context);
  }
  for (const core::PortSpec& port : spec.ports) {
    v1::PortMapping* mapping = out->add_ports();
    mapping->set_local_port(port.local);
    mapping->set_remote_port(port.remote.empty() ? std::to_string(port.local) : port.remote);
  }
  out->set_state(toProto(forward.state()));
  out->set_pid(forward.pid());
  out->set_pod(forward.pod());
  out->set_restarts(static_cast<uint32_t>(forward.restarts()));
  toTimestamp(forward.stateSince(), out->mutable_state_since());
  toDuration(now - forward.stateSinceMonotonic(), out->mutable_time_in_state());
  out->set_last_error(forward.lastError());
  if (forward.lastErrorTime().has_value()) {
    toTimestamp(*forward.lastErrorTime(), out->mutable_last_error_time());
  }
  if (auto retry = forward.nextRetry(); retry.has_value()) {
    toTimestamp(*retry, out->mutable_next_retry_time());
  }
  out->set_enabled(spec.enabled);
  out->set_address(spec.address);
  out->set_hold_port(spec.holdsPorts());
  out->set_on_demand(spec.holdsPorts() && spec.start == core::ForwardSpec::Start::kOnDemand);
  out->set_kubectl_connections(forward.kubectlConnections());
  out->set_note(forward.note());
  if (auto served = forward.lastServed(); served.has_value()) {
    toTimestamp(*served, out->mutable_last_served_time());
  }
  if (auto counters = forward.connections(); counters.has_value()) {
    v1::ConnectionCounters* connections = out->mutable_connections();
    connections->set_active(counters->active);
    connections->set_accepted(counters->accepted);
    connections->set_held(counters->held);
    connections->set_dropped(counters->dropped);
    connections->set_failed(counters->failed);
    connections->set_replayed(counters->replayed);
    connections->set_bytes_in(counters->bytes_in);
    connections->set_bytes_out(counters->bytes_out);
    toDuration(counters->hold_p50, connections->mutable_hold_p50());
    toDuration(counters->hold_p99, connections->mutable_hold_p99());
  }
  if (auto change = forward.podSwitch(); change.has_value()) {
    v1::PodSwitch* out_switch = out->mutable_switch_();
    out_switch->set_from_pod(change->from_pod);
    out_switch->set_to_pod(change->to_pod);
    toTimestamp(change->since, out_switch->mutable_since());
    out_switch->set_reason(change->reason);
  }
  for (const core::Forward::DrainingPod& pod : forward.draining()) {
    v1::DrainingPod* out_pod = out->add_draining();
    out_pod->set_pod(pod.pod);
    out_pod->set_pid(pod.pid);
    out_pod->set_connections(pod.connections);
    toTimestamp(pod.until, out_pod->mutable_until());
  }
  if (spec.readiness.has_value()) {
    v1::ProbeStatus* probe = out->mutable_readiness();
    probe->set_kind(probeKindName(spec.readiness->kind));
    if (const auto& status = forward.probeStatus(); status.has_value()) {
      probe->set_success(status->result.success);
      probe->set_message(status->result.message);
      toDuration(status->result.latency, probe->mutable_latency());
      toTimestamp(status->time, probe->mutable_time());
      probe->set_consecutive_successes(static_cast<uint32_t>(status->consecutive_successes));
      probe->set_consecutive_failures(static_cast<uint32_t>(status->consecutive_failures));
    }
  }
}

void toProto(const core::LogLine& line, const std::string& forward_name, v1::LogLine* out) {
  out->set_name(forward_name);
  toTimestamp(line.time, out->mutable_time());
  out->set_stream(sourceName(line.source));
  out->set_text(line.text);
}

void toProto(const core::Cluster& cluster, uint32_t forwards, v1::Cluster* out) {
  out->set_context(cluster.contextName());
  out->set_kubeconfig(cluster.key().kubeconfig);
  switch (cluster.health()) {
    case core::ClusterHealth::kUp:
      out->set_state(v1::CLUSTER_STATE_UP);
      break;
    case core::ClusterHealth::kChecking:
      out->set_state(v1::CLUSTER_STATE_CHECKING);
      break;
    case core::ClusterHealth::kDown:
      out->set_state(v1::CLUSTER_STATE_DOWN);
      out->set_reason(cluster.reason());
      break;
  }
  toTimestamp(cluster.since(), out->mutable_since());
  if (auto next = cluster.nextCheck(); next.has_value()) {
    toTimestamp(*next, out->mutable_next_check_time());
  }
  out->set_forwards(forwards);
  out->set_waiting(static_cast<uint32_t>(cluster.waiting()));
}

}  // namespace pfd::rpc
