#include "daemon/process/program_lookup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pfd::process {
namespace {

// This Debian build of Abseil has its own string_view type.
absl::string_view toAbsl(std::string_view text) { return {text.data(), text.size()}; }

enum class Candidate { kExecutable, kMissing, kNotExecutable };

Candidate checkCandidate(const std::string& path, std::string* why_not) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    if (errno == EACCES) {
      *why_not = "a directory on its path cannot be searched";
      return Candidate::kNotExecutable;
    }
    return Candidate::kMissing;
  }
  if (S_ISDIR(info.st_mode)) {
    *why_not = "it is a directory";
    return Candidate::kNotExecutable;
  }
  if (!S_ISREG(info.st_mode)) {
    *why_not = "it is not a regular file";
    return Candidate::kNotExecutable;
  }
  if (access(path.c_str(), X_OK) != 0) {
    *why_not = absl::StrCat("it is not executable (", strerror(errno), ")");
    return Candidate::kNotExecutable;
  }
  return Candidate::kExecutable;
}

absl::Status notExecutable(std::string_view program, const std::string& path,
                           const std::string& why_not) {
  return absl::PermissionDeniedError(
      absl::StrCat(toAbsl(program), ": cannot run ", path, ": ", why_not,
                   "; fix its permissions (chmod +x) or point the forward at the right program"));
}

}  // namespace

absl::StatusOr<std::string> findProgram(std::string_view program, std::string_view search_path) {
  if (program.empty()) {
    return absl::InvalidArgumentError(
        "cannot start a process with an empty program name; give the command to run");
  }
  std::string why_not;
  if (program.find('/') != std::string_view::npos) {
    std::string path(program);
    switch (checkCandidate(path, &why_not)) {
      case Candidate::kExecutable:
        return path;
      case Candidate::kNotExecutable:
        return notExecutable(program, path, why_not);
      case Candidate::kMissing:
        break;
    }
    return absl::NotFoundError(
        absl::StrCat(toAbsl(program),
                     ": no such file; install the program or fix the path in the configuration"));
  }

  // Like execvp: a file that is there but cannot be run only matters if nothing later on the
  // path can be.
  std::optional<std::string> first_not_executable;
  std::string first_why_not;
  for (absl::string_view directory : absl::StrSplit(toAbsl(search_path), ':')) {
    std::string path =
        directory.empty() ? std::string(program) : absl::StrCat(directory, "/", toAbsl(program));
    switch (checkCandidate(path, &why_not)) {
      case Candidate::kExecutable:
        return path;
      case Candidate::kNotExecutable:
        if (!first_not_executable.has_value()) {
          first_not_executable = path;
          first_why_not = why_not;
        }
        break;
      case Candidate::kMissing:
        break;
    }
  }
  if (first_not_executable.has_value()) {
    return notExecutable(program, *first_not_executable, first_why_not);
  }
  return absl::NotFoundError(absl::StrCat(
      toAbsl(program), ": program not found on PATH (", toAbsl(search_path),
      "); install it, add its directory to PATH, or give its absolute path in the configuration"));
}

}  // namespace pfd::process
