#include "daemon/process/exec_shim.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#ifndef PFD_EXEC_SHIM_RELATIVE_DIR
#error "PFD_EXEC_SHIM_RELATIVE_DIR must say where pfd-exec is installed relative to pfd"
#endif

namespace pfd::process {

std::string_view execShimDirectoryRelativeToPfd() { return PFD_EXEC_SHIM_RELATIVE_DIR; }

absl::StatusOr<std::string> locateExecShim(std::string_view executable_path) {
  const std::filesystem::path directory = std::filesystem::path(executable_path).parent_path();
  const std::vector<std::filesystem::path> candidates = {
      directory / kExecShimName,
      (directory / execShimDirectoryRelativeToPfd() / kExecShimName).lexically_normal(),
  };
  for (const std::filesystem::path& candidate : candidates) {
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "pfd cannot start children: its helper ", std::string(kExecShimName), " is not at ",
      absl::StrJoin(
          candidates, " or ",
          [](std::string* out, const std::filesystem::path& path) { out->append(path.string()); }),
      "; it is installed with pfd, so reinstall pfd (or build the pfd-exec target)"));
}

absl::StatusOr<std::string> locateExecShimForThisProgram() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot find pfd's own executable through /proc/self/exe (", error.message(),
                     "); is /proc mounted?"));
  }
  return locateExecShim(self.string());
}

}  // namespace pfd::process
