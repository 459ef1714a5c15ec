#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/process/process_launcher.h"

namespace pfd::process {

class LibuvProcessLauncher;
using LibuvProcessLauncherPtr = std::unique_ptr<LibuvProcessLauncher>;

// Starts children with uv_spawn, argv only (never a shell), through the pfd-exec shim so that
// they die with pfd. Use it on the loop thread only: the kill-on-pfd-death signal is tied to the
// thread that forks, so that thread must live as long as pfd does.
class LibuvProcessLauncher : public ProcessLauncher {
 public:
  // Finds pfd-exec next to the running executable or in its installation's libexec directory.
  static absl::StatusOr<LibuvProcessLauncherPtr> create(uv_loop_t* loop);

  LibuvProcessLauncher(uv_loop_t* loop, std::string exec_shim_path);

  // NotFound / PermissionDenied (argv[0] missing or not executable) and InvalidArgument (empty
  // argv) cannot be helped by retrying; other errors (out of descriptors) might.
  absl::StatusOr<ProcessPtr> spawn(const ProcessSpec& spec, ProcessCallbacks callbacks) override;

 private:
  uv_loop_t* loop_;
  std::string exec_shim_path_;
};

}  // namespace pfd::process
