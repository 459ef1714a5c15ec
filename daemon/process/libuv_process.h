#pragma once

#include <uv.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/process/process_launcher.h"

namespace pfd::process {

// What LibuvProcess::start needs, already resolved by the launcher.
struct SpawnRequest {
  std::string file;                      // what uv_spawn executes (the pfd-exec shim)
  std::vector<std::string> args;         // its argv, args[0] included
  std::vector<std::string> environment;  // NAME=VALUE
  std::string display_name;              // how errors name the program (argv[0] as configured)
};

// A child started with uv_spawn in its own session, its stdout and stderr read as lines on the
// loop.
//
// libuv needs the handles until their close callbacks have run, and a killed child's process
// handle until the child has been reaped (so that no zombie is left), both possibly after this
// object is gone; so the handles live in a heap block (State) that frees itself once everything
// is closed and this object is gone.
class LibuvProcess : public Process {
 public:
  // How long pipes may stay open after the child exited before its output is cut off: a
  // descendant that left the process group keeps them open, and on_exit must still come.
  static constexpr std::chrono::milliseconds kDrainTimeout{2000};

  static absl::StatusOr<ProcessPtr> start(uv_loop_t* loop, const SpawnRequest& request,
                                          ProcessCallbacks callbacks);
  ~LibuvProcess() override;
  LibuvProcess(const LibuvProcess&) = delete;
  LibuvProcess& operator=(const LibuvProcess&) = delete;

  pid_t pid() const override;
  void terminate(std::chrono::milliseconds grace) override;

  struct State;

 private:
  explicit LibuvProcess(State* state) : state_(state) {}

  State* state_;
};

}  // namespace pfd::process
