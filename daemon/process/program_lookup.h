#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pfd::process {

// The default search path when the environment has no PATH (what glibc's execvp uses).
inline constexpr std::string_view kDefaultSearchPath = "/bin:/usr/bin";

// Finds the file that exec would run for `program`, the way execvp does, but before anything is
// forked, so that "not installed" is an error the caller sees instead of a child exiting with
// 127. A program with a slash is taken as a path; one without is looked up on `search_path`
// (a PATH value; an empty entry means the current directory).
//
// NotFound: no such file. PermissionDenied: found, but not an executable file. Retrying cannot
// help with either.
absl::StatusOr<std::string> findProgram(std::string_view program, std::string_view search_path);

}  // namespace pfd::process
