#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace pfd::process {

enum class OutputStream { kStdout, kStderr };

struct ExitStatus {
  int exit_code = 0;
  int term_signal = 0;  // non-zero when a signal ended the process
  // Set when the program never ran because exec failed after spawn (a file that is executable
  // but not a program, a script whose #! interpreter is missing): "cannot execute PATH: WHY".
  std::string exec_error;
};

struct ProcessSpec {
  std::vector<std::string> argv;                         // argv[0] is looked up on PATH
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) pfd's env
};

struct ProcessCallbacks {
  // One call per complete line, without its line ending. Very long lines are split.
  std::function<void(OutputStream, std::string_view line)> on_line;
  // Called once, after the last on_line, when the process has exited and its output is drained.
  std::function<void(ExitStatus)> on_exit;
};

// A running child in its own process group. Destroying a Process that still runs kills its group
// with SIGKILL; no callback runs after destruction.
class Process {
 public:
  virtual ~Process() = default;
  virtual pid_t pid() const = 0;
  // SIGTERM to the process group, SIGKILL after `grace` if it is still there. on_exit follows.
  virtual void terminate(std::chrono::milliseconds grace) = 0;
};
using ProcessPtr = std::unique_ptr<Process>;

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // NotFound / PermissionDenied when argv[0] cannot be executed: retrying cannot help.
  virtual absl::StatusOr<ProcessPtr> spawn(const ProcessSpec& spec, ProcessCallbacks callbacks) = 0;
};

}  // namespace pfd::process
