#pragma once

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace pfd::client {

absl::Duration fromProto(const google::protobuf::Duration& duration);
absl::Time fromProto(const google::protobuf::Timestamp& timestamp);

void toProto(absl::Duration duration, google::protobuf::Duration* out);
void toProto(absl::Time time, google::protobuf::Timestamp* out);

}  // namespace pfd::client
