#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pfd::client::fixtures {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when a signal ended it
  std::string out;
  std::string err;
};

// A child process with its stdout and stderr on pipes. The destructor kills (by PID) and reaps a
// child that is still running, so that no test leaves one behind.
class Subprocess {
 public:
  // Runs `argv` with the environment of this process, minus `unset`, plus `set`. With
  // `stdout_on_terminal`, the child's stdout is a pseudo-terminal 200 columns wide (as in a user's
  // shell; a terminal turns "\n" into "\r\n"), else a pipe.
  static absl::StatusOr<std::unique_ptr<Subprocess>> start(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& unset, bool stdout_on_terminal = false);
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of stdout (without the newline), waiting until the child prints it. Fails if
  // stdout closes first. The timeout only keeps a broken test from hanging; nothing waits on it.
  absl::StatusOr<std::string> readLine();

  // Reads stdout and stderr to their end and reaps the child. `out` holds all of stdout,
  // including the lines readLine() returned.
  absl::StatusOr<ProcessResult> wait();

 private:
  Subprocess(pid_t pid, int out_fd, int err_fd);

  // Reads what is available on stdout and stderr; false once both are closed.
  absl::StatusOr<bool> pump(bool want_err);

  pid_t pid_;
  int out_fd_;
  int err_fd_;
  std::string out_;
  std::string err_;
  size_t line_start_ = 0;
  std::optional<int> exit_code_;
};

// Runs a command to completion.
absl::StatusOr<ProcessResult> runToCompletion(const std::vector<std::string>& argv,
                                              const std::map<std::string, std::string>& set,
                                              const std::vector<std::string>& unset,
                                              bool stdout_on_terminal = false);

}  // namespace pfd::client::fixtures
