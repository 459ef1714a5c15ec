#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace pfd::client {

// The proto3 JSON mapping of `message` for scripts: lowerCamelCase names, every primitive field
// printed even at its default (so `"restarts": 0` is there), enums by name, indented.
// With `one_line`, no whitespace at all: one JSON object per line (pfctl watch -o json).
absl::StatusOr<std::string> toJson(const google::protobuf::Message& message, bool one_line = false);

}  // namespace pfd::client
