#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/core/forward_spec.h"
#include "yaml-cpp/node/node.h"

namespace pfd::config {

// Converters from one YAML node to a typed value. Their errors carry only the "what is wrong and
// what is allowed" part; MappingReader adds the file position and field path.
//
// Booleans and numbers must be plain (unquoted) scalars, as in YAML 1.2 and the JSON Schema, so
// that an editor checking the file against config/pfd.schema.json and pfd agree on what is valid.

// "a list", "a mapping", "an empty value", or the quoted scalar text.
std::string describeNode(const YAML::Node& node);

absl::StatusOr<std::string> scalarString(const YAML::Node& node);
absl::StatusOr<bool> scalarBool(const YAML::Node& node);
absl::StatusOr<int> scalarInt(const YAML::Node& node);
absl::StatusOr<double> scalarNumber(const YAML::Node& node);
// A Go-style duration string ("500ms", "30s", "1m30s"), zero or more, whole milliseconds (a
// finer part is dropped). A bare number is refused: "30" could mean seconds or milliseconds.
absl::StatusOr<core::Milliseconds> scalarDuration(const YAML::Node& node);
// A byte size: a whole number of bytes (unquoted, as every number) or a Kubernetes-style quantity
// with a binary suffix, Ki or Mi ("64Ki", "1Mi"). A size past uint64 saturates, so that the
// caller's upper bound reports it as too large rather than as malformed.
absl::StatusOr<uint64_t> scalarByteSize(const YAML::Node& node);

// The text pfd prints for a duration in messages: "1m30s", "500ms".
std::string formatDuration(core::Milliseconds duration);

}  // namespace pfd::config
