#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/event/dispatcher.h"
#include "daemon/process/process_launcher.h"

namespace pfd::testing {

// What the test sees of one spawned fake child; it outlives the Process object.
struct FakeChild {
  pid_t pid = 0;
  process::ProcessSpec spec;
  process::ProcessCallbacks callbacks;
  bool alive = true;       // on_exit not delivered yet
  bool destroyed = false;  // the Process object was destroyed
  int terminate_calls = 0;
  std::chrono::milliseconds grace{0};

  // The child "prints" a line; ignored once it exited or was destroyed.
  void print(const std::string& line,
             process::OutputStream stream = process::OutputStream::kStdout);
  void printError(const std::string& line) { print(line, process::OutputStream::kStderr); }
  // The child "exits" now.
  void exit(int code, int signal = 0);
  void exit(process::ExitStatus status);
};
using FakeChildPtr = std::shared_ptr<FakeChild>;

// A ProcessLauncher whose children do only what the test tells them to.
class FakeProcessLauncher : public process::ProcessLauncher {
 public:
  explicit FakeProcessLauncher(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  absl::StatusOr<process::ProcessPtr> spawn(const process::ProcessSpec& spec,
                                            process::ProcessCallbacks callbacks) override;

  // The next spawn fails with `status` instead of starting a child.
  void failNextSpawn(absl::Status status) { spawn_failures_.push_back(std::move(status)); }
  // When set, terminate() makes the child exit (by SIGTERM) on the next turn of the loop, the way
  // a well-behaved kubectl does.
  void setExitOnTerminate(bool value) { exit_on_terminate_ = value; }

  const std::vector<FakeChildPtr>& children() const { return children_; }
  FakeChildPtr last() const { return children_.empty() ? nullptr : children_.back(); }
  size_t spawnCount() const { return children_.size(); }
  size_t spawnAttempts() const { return attempts_; }

 private:
  event::Dispatcher& dispatcher_;
  std::vector<FakeChildPtr> children_;
  std::deque<absl::Status> spawn_failures_;
  bool exit_on_terminate_ = true;
  pid_t next_pid_ = 1000;
  size_t attempts_ = 0;
};

}  // namespace pfd::testing
