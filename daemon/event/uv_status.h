#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace pfd::event {

// Turns a negative libuv error code into a Status whose code says whether retrying can help
// (NotFound / PermissionDenied cannot; running out of descriptors or memory can). `action` says
// what pfd was doing, e.g. "cannot start kubectl".
absl::Status uvStatus(int uv_error, std::string_view action);

}  // namespace pfd::event
