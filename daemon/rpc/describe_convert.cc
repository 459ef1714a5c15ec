#include "daemon/rpc/describe_convert.h"

#include "daemon/rpc/proto_convert.h"

namespace pfd::rpc {
namespace {

void toProto(const core::ProbeSpec& probe, v1::ProbeSettings* out) {
  out->set_kind(probeKindName(probe.kind));
  if (probe.kind == core::ProbeSpec::Kind::kExec) {
    out->mutable_command()->Assign(probe.command.begin(), probe.command.end());
  } else {
    out->set_port(probe.port);
  }
  if (probe.kind == core::ProbeSpec::Kind::kHttpGet) {
    out->set_path(probe.path);
    out->set_scheme(probe.scheme);
  }
  toDuration(probe.initial_delay, out->mutable_initial_delay());
  toDuration(probe.period, out->mutable_period());
  toDuration(probe.timeout, out->mutable_timeout());
  out->set_success_threshold(static_cast<uint32_t>(probe.success_threshold));
  out->set_failure_threshold(static_cast<uint32_t>(probe.failure_threshold));
}

void toProto(const core::BackoffSpec& backoff, v1::BackoffSettings* out) {
  toDuration(backoff.initial, out->mutable_initial());
  toDuration(backoff.max, out->mutable_max());
  out->set_multiplier(backoff.multiplier);
  out->set_jitter(backoff.jitter);
  toDuration(backoff.reset_after, out->mutable_reset_after());
}

void toProto(const core::HistoryEvent& event, v1::HistoryEvent* out) {
  out->set_type(event.type == core::HistoryEvent::Type::kWarning ? v1::EVENT_TYPE_WARNING
                                                                 : v1::EVENT_TYPE_NORMAL);
  out->set_reason(event.reason);
  out->set_message(event.message);
  toTimestamp(event.first_time, out->mutable_first_time());
  toTimestamp(event.last_time, out->mutable_last_time());
  out->set_count(event.count);
}

}  // namespace

void toDescription(const core::Forward& forward, event::MonotonicTime now,
                   v1::DescribeForwardResponse* out) {
  const core::ForwardSpec& spec = forward.spec();
  toProto(forward, now, out->mutable_forward());
  toProto(spec.backoff, out->mutable_backoff());
  if (spec.readiness.has_value()) {
    toProto(*spec.readiness, out->mutable_probe());
  }
  out->set_pod_reason(forward.podReason());
  const std::vector<std::string> argv = forward.childArgv();
  out->mutable_command_line()->Assign(argv.begin(), argv.end());
  for (const core::ProbeStatus& status : forward.probeHistory()) {
    v1::ProbeResult* result = out->add_probe_results();
    result->set_success(status.result.success);
    result->set_message(status.result.message);
    toDuration(status.result.latency, result->mutable_latency());
    toTimestamp(status.time, result->mutable_time());
  }
  for (const core::HistoryEvent& event : forward.events().events()) {
    toProto(event, out->add_events());
  }
  toDuration(spec.start_timeout, out->mutable_start_timeout());
  if (spec.holdsPorts()) {
    toDuration(spec.hold_timeout, out->mutable_hold_timeout());
    toDuration(spec.drain_timeout, out->mutable_drain_timeout());
  }
}

}  // namespace pfd::rpc
