#include "daemon/process/libuv_process_launcher.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/process/child_environment.h"
#include "daemon/process/exec_shim.h"
#include "daemon/process/libuv_process.h"
#include "daemon/process/program_lookup.h"

namespace pfd::process {

absl::StatusOr<LibuvProcessLauncherPtr> LibuvProcessLauncher::create(uv_loop_t* loop) {
  absl::StatusOr<std::string> shim = locateExecShimForThisProgram();
  if (!shim.ok()) {
    return shim.status();
  }
  return std::make_unique<LibuvProcessLauncher>(loop, *std::move(shim));
}

LibuvProcessLauncher::LibuvProcessLauncher(uv_loop_t* loop, std::string exec_shim_path)
    : loop_(loop), exec_shim_path_(std::move(exec_shim_path)) {}

absl::StatusOr<ProcessPtr> LibuvProcessLauncher::spawn(const ProcessSpec& spec,
                                                       ProcessCallbacks callbacks) {
  if (spec.argv.empty() || spec.argv.front().empty()) {
    return absl::InvalidArgumentError(
        "cannot start a process without a program: the command is empty; give the program to "
        "run as its first word");
  }
  SpawnRequest request;
  request.environment = childEnvironment(environ, spec.env);
  // The child's PATH decides, as it would for execvp in the child: a forward may set its own.
  const std::string_view search_path =
      environmentValue(request.environment, "PATH").value_or(kDefaultSearchPath);
  absl::StatusOr<std::string> program = findProgram(spec.argv.front(), search_path);
  if (!program.ok()) {
    return program.status();
  }
  request.file = exec_shim_path_;
  request.display_name = spec.argv.front();
  request.args = {exec_shim_path_, absl::StrCat(getpid()), *std::move(program)};
  request.args.insert(request.args.end(), spec.argv.begin() + 1, spec.argv.end());
  return LibuvProcess::start(loop_, request, std::move(callbacks));
}

}  // namespace pfd::process
