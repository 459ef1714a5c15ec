#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"

namespace pfd::config {

// Parses and validates a config document (the format is described in docs/config.md). Every
// error is InvalidArgument with a message "FILE:LINE:COLUMN: field.path: problem; remedy",
// FILE being `path_for_messages`. The first problem in the file is reported.
absl::StatusOr<Config> parseConfig(std::string_view yaml, std::string_view path_for_messages);

// Reads and parses the file at `path`. NotFound (with a hint) when it does not exist,
// PermissionDenied when it cannot be read, InvalidArgument for anything wrong inside.
absl::StatusOr<Config> loadConfigFile(const std::string& path);

}  // namespace pfd::config
