#pragma once

#include "daemon/core/forward.h"
#include "daemon/event/dispatcher.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "pfd/v1/control.pb.h"

namespace pfd::rpc {

// Core state to its wire form. `now` makes time_in_state consistent across one response.
void toProto(const core::Forward& forward, event::MonotonicTime now, v1::Forward* out);
v1::ForwardState toProto(core::ForwardState state);
void toProto(const core::LogLine& line, const std::string& forward_name, v1::LogLine* out);
void toTimestamp(event::SystemTime time, google::protobuf::Timestamp* out);
// "httpGet", "tcpSocket", "exec": the probe's key in the config.
const char* probeKindName(core::ProbeSpec::Kind kind);
// `forwards`: how many of the listed forwards use it.
void toProto(const core::Cluster& cluster, uint32_t forwards, v1::Cluster* out);
void toDuration(std::chrono::nanoseconds duration, google::protobuf::Duration* out);

}  // namespace pfd::rpc
