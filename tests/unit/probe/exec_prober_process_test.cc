// ExecProber with the real LibuvProcessLauncher: real commands, real process groups.
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "daemon/probe/exec_prober.h"
#include "daemon/process/libuv_process_launcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/probe/test_loop.h"

namespace pfd::probe {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::ResultRecorder;
using ::testing::SizeIs;
using testing::TestLoop;

// Passes everything to the real launcher and remembers the pids and output lines, so that a test
// can watch the processes a probe started.
class RecordingLauncher : public process::ProcessLauncher {
 public:
  explicit RecordingLauncher(process::ProcessLauncher& launcher) : launcher_(launcher) {}

  absl::StatusOr<process::ProcessPtr> spawn(const process::ProcessSpec& spec,
                                            process::ProcessCallbacks callbacks) override {
    auto on_line = std::move(callbacks.on_line);
    callbacks.on_line = [this, on_line](process::OutputStream stream, std::string_view line) {
      lines.emplace_back(line);
      on_line(stream, line);
    };
    absl::StatusOr<process::ProcessPtr> process = launcher_.spawn(spec, std::move(callbacks));
    if (process.ok()) {
      pids.push_back((*process)->pid());
    }
    return process;
  }

  std::vector<pid_t> pids;
  std::vector<std::string> lines;

 private:
  process::ProcessLauncher& launcher_;
};

// A pidfd turns "the process is gone" into an event to wait for, instead of polling kill(pid, 0).
class ProcessWatch {
 public:
  explicit ProcessWatch(pid_t pid) : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ~ProcessWatch() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  bool valid() const { return fd_ >= 0; }
  // True once the process has exited; the bound only keeps a broken kill from hanging the test.
  bool waitForExit() const {
    pollfd exited{.fd = fd_, .events = POLLIN, .revents = 0};
    return ::poll(&exited, 1, 10000) == 1;
  }

 private:
  int fd_;
};

core::ProbeSpec execSpec(std::vector<std::string> command, std::chrono::milliseconds timeout) {
  core::ProbeSpec spec;
  spec.kind = core::ProbeSpec::Kind::kExec;
  spec.command = std::move(command);
  spec.timeout = timeout;
  return spec;
}

class ExecProberProcessTest : public ::testing::Test {
 protected:
  ProbeResult probe(const core::ProbeSpec& spec) {
    ResultRecorder recorder;
    ProbeHandlePtr handle = prober_.run(spec, "127.0.0.1", recorder.callback());
    EXPECT_EQ(recorder.calls, 0) << "done ran inside run()";
    EXPECT_TRUE(loop_.runUntil([&] { return recorder.calls > 0; }));
    loop_.runUntilIdle();
    EXPECT_EQ(recorder.calls, 1);
    return recorder.result.value_or(ProbeResult{});
  }

  TestLoop loop_;
  process::LibuvProcessLauncher real_launcher_{loop_.get(), PFD_EXEC_SHIM_PATH};
  RecordingLauncher launcher_{real_launcher_};
  ExecProber prober_{loop_.dispatcher(), launcher_};
};

TEST_F(ExecProberProcessTest, SucceedsWhenTheCommandExitsWithZero) {
  ProbeResult result = probe(execSpec({"/bin/sh", "-c", "exit 0"}, std::chrono::seconds(30)));

  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.message, "exit code 0");
}

TEST_F(ExecProberProcessTest, FailsWithTheExitCodeAndTheLastLineTheCommandPrinted) {
  ProbeResult result =
      probe(execSpec({"/bin/sh", "-c", "echo checking >&2; echo 'not ready' >&2; exit 1"},
                     std::chrono::seconds(30)));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "exit code 1: not ready");
}

TEST_F(ExecProberProcessTest, PassesArgumentsWithoutAShell) {
  // Through a shell, "$HOME" would be expanded and ';' would start a second command.
  ProbeResult result = probe(execSpec({"/bin/sh", "-c", "echo \"$0\" >&2; exit 1", "$HOME; true"},
                                      std::chrono::seconds(30)));

  EXPECT_EQ(result.message, "exit code 1: $HOME; true");
}

TEST_F(ExecProberProcessTest, ReportsAMissingProgram) {
  ProbeResult result = probe(execSpec({"pfd-no-such-program"}, std::chrono::seconds(30)));

  EXPECT_FALSE(result.success);
  EXPECT_THAT(result.message, AllOf(HasSubstr("pfd-no-such-program"), HasSubstr("not found")));
}

TEST_F(ExecProberProcessTest, KillsTheWholeProcessGroupAtTheTimeout) {
  ResultRecorder recorder;
  // The shell prints the pid of a background sleep, then waits in a second sleep: at the
  // timeout both the shell and its background child must go.
  ProbeHandlePtr handle = prober_.run(
      execSpec({"/bin/sh", "-c", "sleep 100 & echo $!; sleep 100"}, std::chrono::milliseconds(500)),
      "127.0.0.1", recorder.callback());
  ASSERT_THAT(launcher_.pids, SizeIs(1));
  ProcessWatch shell(launcher_.pids[0]);
  ASSERT_TRUE(loop_.runUntil([&] { return !launcher_.lines.empty() || recorder.calls > 0; }));
  int background_pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(launcher_.lines[0], &background_pid)) << launcher_.lines[0];
  ProcessWatch background(background_pid);
  ASSERT_TRUE(shell.valid());
  ASSERT_TRUE(background.valid());

  ASSERT_TRUE(loop_.runUntil([&] { return recorder.calls > 0; }));
  loop_.runUntilIdle();

  EXPECT_FALSE(recorder.result->success);
  EXPECT_EQ(recorder.result->message, "timeout after 500ms");
  EXPECT_TRUE(shell.waitForExit());
  EXPECT_TRUE(background.waitForExit());
}

TEST_F(ExecProberProcessTest, DestroyingTheHandleKillsTheCommandWithoutACallback) {
  ResultRecorder recorder;
  ProbeHandlePtr handle = prober_.run(execSpec({"/bin/sleep", "100"}, std::chrono::seconds(30)),
                                      "127.0.0.1", recorder.callback());
  ASSERT_THAT(launcher_.pids, SizeIs(1));
  ProcessWatch sleeper(launcher_.pids[0]);
  ASSERT_TRUE(sleeper.valid());

  handle.reset();
  loop_.runUntilIdle();

  EXPECT_TRUE(sleeper.waitForExit());
  EXPECT_EQ(recorder.calls, 0);
}

}  // namespace
}  // namespace pfd::probe
