#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pfd::process {

inline constexpr std::string_view kExecShimName = "pfd-exec";

// Where the installation puts pfd-exec, relative to the directory pfd is installed in
// ("../libexec/pfd" with the default GNU install directories).
std::string_view execShimDirectoryRelativeToPfd();

// Finds pfd-exec for an executable at `executable_path`: next to it (the build tree) or in the
// libexec directory of the installation it belongs to (bin/../libexec/pfd by default).
absl::StatusOr<std::string> locateExecShim(std::string_view executable_path);

// The same for the running executable (/proc/self/exe).
absl::StatusOr<std::string> locateExecShimForThisProgram();

}  // namespace pfd::process
