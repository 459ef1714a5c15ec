#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"

namespace pfd::config {

// Parses and validates a config document (the format is described in docs/config.md). Every
// error is InvalidArgument with a message "FILE:LINE:COLUMN: field.path: problem; remedy",
// FILE being `path_for_messages`. The first problem in the file is reported.
absl::StatusOr<Config> parseConfig(std::string_view yaml, std::string_view path_for_messages);

// Every problem of a config document, for `pfd --check` and `pfctl check`: each forward entry is
// read on its own, so a mistake in one does not hide the next (within one entry, and within the
// top level or defaults:, the first problem is reported, since later ones often follow from it).
// A YAML syntax error or a top level that is not a mapping of known keys stops the check there.
struct ConfigCheck {
  Config config;                     // the forwards that read cleanly
  size_t entries = 0;                // entries of the forwards: list, valid or not
  std::vector<absl::Status> errors;  // in file order, each as parseConfig() words it; empty: OK
};
ConfigCheck checkConfig(std::string_view yaml, std::string_view path_for_messages);
// checkConfig() of the file at `path`; a file that cannot be read is the one error.
ConfigCheck checkConfigFile(const std::string& path);

// Reads and parses the file at `path`. NotFound (with a hint) when it does not exist,
// PermissionDenied when it cannot be read, InvalidArgument for anything wrong inside.
absl::StatusOr<Config> loadConfigFile(const std::string& path);

}  // namespace pfd::config
