#include "daemon/process/libuv_process_launcher.h"

#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/event/libuv_dispatcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/process/pid_watch.h"

namespace pfd::process {
namespace {

using ::pfd::testing::PidWatch;
using ::pfd::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::chrono::seconds kGenerousBound(10);

ProcessSpec shell(std::string script) { return ProcessSpec{.argv = {"/bin/sh", "-c", script}}; }

pid_t parsePid(std::string_view text) {
  int pid = 0;
  return absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &pid) ? pid : -1;
}

// What a child did, as its callbacks saw it.
struct Observed {
  std::vector<std::string> out;
  std::vector<std::string> err;
  std::vector<std::string> events;  // "out:LINE", "err:LINE" and "exit", in the order seen
  std::optional<ExitStatus> exit;
  int exits = 0;
};

class LibuvProcessLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<event::LibuvDispatcherPtr> dispatcher = event::LibuvDispatcher::create();
    ASSERT_OK(dispatcher);
    dispatcher_ = *std::move(dispatcher);
    launcher_ = std::make_unique<LibuvProcessLauncher>(dispatcher_->loop(), PFD_EXEC_SHIM_PATH);
    watchdog_ = dispatcher_->createTimer([this] {
      ADD_FAILURE() << "the loop did not exit within 30 s";
      dispatcher_->exit();
    });
  }

  void TearDown() override { shutDown(); }

  // Destroys what is left and the dispatcher, which reaps any child still being killed.
  void shutDown() {
    process_.reset();
    launcher_.reset();
    watchdog_.reset();
    dispatcher_.reset();
  }

  // Records everything in `observed`; on_exit ends run(). `on_line` sees each line after it is
  // recorded.
  ProcessCallbacks recordInto(Observed& observed,
                              std::function<void(OutputStream, std::string_view)> on_line = {}) {
    return ProcessCallbacks{
        .on_line =
            [&observed, on_line](OutputStream stream, std::string_view line) {
              const bool is_stdout = stream == OutputStream::kStdout;
              (is_stdout ? observed.out : observed.err).emplace_back(line);
              observed.events.push_back((is_stdout ? "out:" : "err:") + std::string(line));
              if (on_line) {
                on_line(stream, line);
              }
            },
        .on_exit =
            [this, &observed](ExitStatus status) {
              observed.exit = status;
              ++observed.exits;
              observed.events.emplace_back("exit");
              dispatcher_->exit();
            },
    };
  }

  void start(const ProcessSpec& spec, ProcessCallbacks callbacks) {
    absl::StatusOr<ProcessPtr> process = launcher_->spawn(spec, std::move(callbacks));
    ASSERT_OK(process);
    process_ = *std::move(process);
  }

  // Runs the loop until a callback calls exit().
  void run() {
    watchdog_->enable(std::chrono::seconds(30));
    dispatcher_->run();
    watchdog_->disable();
  }

  Observed runToExit(const ProcessSpec& spec) {
    Observed observed;
    start(spec, recordInto(observed));
    run();
    process_.reset();
    return observed;
  }

  std::filesystem::path makeTempDir() {
    std::string pattern = ::testing::TempDir() + "/pfd-launcher-XXXXXX";
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    temp_dirs_.emplace_back(pattern);
    return pattern;
  }

  ~LibuvProcessLauncherTest() override {
    for (const auto& dir : temp_dirs_) {
      std::filesystem::remove_all(dir);
    }
  }

  static std::string makeFile(const std::filesystem::path& path, const std::string& content,
                              mode_t mode) {
    std::ofstream(path) << content;
    chmod(path.c_str(), mode);
    return path.string();
  }

  event::LibuvDispatcherPtr dispatcher_;
  std::unique_ptr<LibuvProcessLauncher> launcher_;
  event::TimerPtr watchdog_;
  ProcessPtr process_;
  std::vector<std::filesystem::path> temp_dirs_;
};

TEST_F(LibuvProcessLauncherTest, ExitCodeIsReported) {
  const Observed observed = runToExit(shell("exit 3"));
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->exit_code, 3);
  EXPECT_EQ(observed.exit->term_signal, 0);
}

TEST_F(LibuvProcessLauncherTest, TerminatingSignalIsReported) {
  const Observed observed = runToExit(shell("kill -USR1 $$"));
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->term_signal, SIGUSR1);
}

TEST_F(LibuvProcessLauncherTest, LinesFromStdoutAndStderrArriveInOrderPerStream) {
  const Observed observed =
      runToExit(shell("echo out1; echo err1 >&2; echo out2; echo err2 >&2; echo out3"));
  EXPECT_THAT(observed.out, ElementsAre("out1", "out2", "out3"));
  EXPECT_THAT(observed.err, ElementsAre("err1", "err2"));
}

TEST_F(LibuvProcessLauncherTest, FinalLinesWithoutNewlineAreDelivered) {
  const Observed observed =
      runToExit(shell("echo first; printf 'out tail'; printf 'err tail' >&2"));
  EXPECT_THAT(observed.out, ElementsAre("first", "out tail"));
  EXPECT_THAT(observed.err, ElementsAre("err tail"));
}

TEST_F(LibuvProcessLauncherTest, LineWrittenInPiecesArrivesWhole) {
  const Observed observed =
      runToExit(shell("printf 'par'; printf 'tial'; printf ' line\\r\\n'; printf 'next\\n'"));
  EXPECT_THAT(observed.out, ElementsAre("partial line", "next"));
}

TEST_F(LibuvProcessLauncherTest, LongLineIsSplitAtTheCap) {
  const Observed observed =
      runToExit(shell("head -c 20000 /dev/zero | tr '\\0' x; echo; echo end"));
  std::vector<size_t> sizes;
  for (const std::string& line : observed.out) {
    sizes.push_back(line.size());
  }
  EXPECT_THAT(sizes, ElementsAre(8192, 8192, 20000 - 2 * 8192, 3));
}

TEST_F(LibuvProcessLauncherTest, ExitComesAfterTheLastLineOfBothStreams) {
  const Observed observed =
      runToExit(shell("echo starting; echo 'fatal: cannot connect' >&2; exit 1"));
  EXPECT_THAT(observed.events, ElementsAre("out:starting", "err:fatal: cannot connect", "exit"));
  EXPECT_EQ(observed.exits, 1);
}

TEST_F(LibuvProcessLauncherTest, ChildStdinIsEmpty) {
  const Observed observed = runToExit(shell("cat; echo after cat"));
  EXPECT_THAT(observed.out, ElementsAre("after cat"));
}

TEST_F(LibuvProcessLauncherTest, ArgumentsArePassedVerbatimWithoutAShell) {
  const Observed observed =
      runToExit(ProcessSpec{.argv = {"echo", "$HOME", "a  b", "*", "'quoted'"}});
  EXPECT_THAT(observed.out, ElementsAre("$HOME a  b * 'quoted'"));
}

TEST_F(LibuvProcessLauncherTest, ChildInheritsTheEnvironmentWithOverrides) {
  ASSERT_EQ(setenv("PFD_TEST_INHERITED", "inherited", 1), 0);
  ASSERT_EQ(setenv("PFD_TEST_REPLACED", "old", 1), 0);
  ProcessSpec spec = shell("echo \"$PFD_TEST_INHERITED $PFD_TEST_REPLACED $PFD_TEST_ADDED\"");
  spec.env = {{"PFD_TEST_REPLACED", "new"}, {"PFD_TEST_ADDED", "added"}};
  const Observed observed = runToExit(spec);
  unsetenv("PFD_TEST_INHERITED");
  unsetenv("PFD_TEST_REPLACED");
  EXPECT_THAT(observed.out, ElementsAre("inherited new added"));
}

TEST_F(LibuvProcessLauncherTest, ProgramIsLookedUpOnTheChildsPath) {
  const std::filesystem::path bin = makeTempDir();
  makeFile(bin / "my-forwarder", "#!/bin/sh\necho \"forwarding $1\"\n", 0755);
  const Observed observed = runToExit(ProcessSpec{
      .argv = {"my-forwarder", "8080"}, .env = {{"PATH", bin.string() + ":/usr/bin:/bin"}}});
  EXPECT_THAT(observed.out, ElementsAre("forwarding 8080"));
  EXPECT_EQ(observed.exit->exit_code, 0);
}

TEST_F(LibuvProcessLauncherTest, MissingProgramIsNotFoundBeforeAnythingRuns) {
  EXPECT_THAT(
      launcher_->spawn(ProcessSpec{.argv = {"pfd-no-such-program", "--version"},
                                   .env = {{"PATH", "/usr/bin:/bin"}}},
                       {}),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("pfd-no-such-program: program not found on PATH (/usr/bin:/bin)")));
}

TEST_F(LibuvProcessLauncherTest, NonExecutableFileIsPermissionDenied) {
  const std::string script = makeFile(makeTempDir() / "script.sh", "echo hi\n", 0644);
  EXPECT_THAT(launcher_->spawn(ProcessSpec{.argv = {script}}, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(script)));
}

TEST_F(LibuvProcessLauncherTest, NonExecutableFileOnPathIsPermissionDenied) {
  const std::filesystem::path bin = makeTempDir();
  makeFile(bin / "kubectl", "echo hi\n", 0644);
  EXPECT_THAT(
      launcher_->spawn(ProcessSpec{.argv = {"kubectl"}, .env = {{"PATH", bin.string()}}}, {}),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not executable")));
}

TEST_F(LibuvProcessLauncherTest, AnExecutableFileThatIsNotAProgramReportsTheExecError) {
  const std::string file = makeFile(makeTempDir() / "notes.txt", "just some text\n", 0755);
  const Observed observed = runToExit(ProcessSpec{.argv = {file}});
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->exit_code, 127);
  EXPECT_EQ(observed.exit->exec_error,
            absl::StrCat("cannot execute ", file, ": Exec format error"));
}

TEST_F(LibuvProcessLauncherTest, AScriptWhoseInterpreterIsMissingReportsTheExecError) {
  const std::string script =
      makeFile(makeTempDir() / "tunnel", "#!/nonexistent/interpreter\necho hi\n", 0755);
  const Observed observed = runToExit(ProcessSpec{.argv = {script}});
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->exec_error,
            absl::StrCat("cannot execute ", script, ": No such file or directory"));
}

TEST_F(LibuvProcessLauncherTest, AProgramThatExits127ItselfIsNoExecError) {
  const Observed observed = runToExit(shell("echo 'sh: 1: nope: not found' >&2; exit 127"));
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->exit_code, 127);
  EXPECT_EQ(observed.exit->exec_error, "");
}

TEST_F(LibuvProcessLauncherTest, EmptyCommandIsInvalid) {
  EXPECT_THAT(launcher_->spawn(ProcessSpec{}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("command is empty")));
}

TEST_F(LibuvProcessLauncherTest, ProgramThatCannotBeExecutedExits127WithTheReasonOnStderr) {
  const std::string bogus = makeFile(makeTempDir() / "bogus", "not a program\n", 0755);
  const Observed observed = runToExit(ProcessSpec{.argv = {bogus}});
  EXPECT_THAT(observed.err, ElementsAre(HasSubstr("pfd-exec: cannot execute " + bogus)));
  EXPECT_EQ(observed.exit->exit_code, 127);
}

TEST_F(LibuvProcessLauncherTest, MissingShimIsNotFound) {
  LibuvProcessLauncher launcher(dispatcher_->loop(), "/nonexistent/pfd-exec");
  EXPECT_THAT(launcher.spawn(shell("true"), {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/pfd-exec")));
}

TEST_F(LibuvProcessLauncherTest, CreateReportsAShimThatIsNotNextToTheExecutable) {
  // This test binary has no pfd-exec beside it, unlike pfd.
  EXPECT_THAT(LibuvProcessLauncher::create(dispatcher_->loop()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("pfd-exec")));
}

TEST_F(LibuvProcessLauncherTest, ChildLeadsItsOwnProcessGroupAndSession) {
  // Fields 5 and 6 of /proc/PID/stat are the process group and the session.
  const Observed observed = runToExit(shell("cut -d' ' -f1,5,6 /proc/$$/stat"));
  ASSERT_THAT(observed.out, Not(IsEmpty()));
  const std::vector<std::string> ids = absl::StrSplit(observed.out.front(), ' ');
  ASSERT_EQ(ids.size(), 3);
  EXPECT_EQ(ids[1], ids[0]);
  EXPECT_EQ(ids[2], ids[0]);
}

TEST_F(LibuvProcessLauncherTest, PidIsTheChildsPid) {
  Observed observed;
  start(shell("echo $$"), recordInto(observed));
  const pid_t pid = process_->pid();
  run();
  EXPECT_THAT(observed.out, ElementsAre(std::to_string(pid)));
}

TEST_F(LibuvProcessLauncherTest, TerminateSendsSigtermToTheWholeGroup) {
  // The child and its grandchild each say that SIGTERM reached them; the child waits for the
  // grandchild before exiting, so both lines come before the exit.
  const std::string script = R"(
trap 'echo child got SIGTERM; wait; exit 0' TERM
sh -c 'trap "echo grandchild got SIGTERM; exit 0" TERM; echo "ready $$"; sleep 1000 & wait' &
wait)";
  Observed observed;
  std::unique_ptr<PidWatch> grandchild;
  start(shell(script), recordInto(observed, [&](OutputStream, std::string_view line) {
          if (line.starts_with("ready ")) {
            grandchild = std::make_unique<PidWatch>(parsePid(line.substr(6)));
            process_->terminate(std::chrono::seconds(20));
          }
        }));
  run();

  EXPECT_THAT(observed.out, Contains("child got SIGTERM"));
  EXPECT_THAT(observed.out, Contains("grandchild got SIGTERM"));
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->exit_code, 0);
  EXPECT_EQ(observed.exit->term_signal, 0);
  ASSERT_NE(grandchild, nullptr);
  EXPECT_TRUE(grandchild->waitForExit(kGenerousBound));
}

TEST_F(LibuvProcessLauncherTest, TerminateOfAChildThatDiesOfSigtermReportsSigterm) {
  Observed observed;
  start(shell("echo ready; exec sleep 1000"),
        recordInto(observed, [&](OutputStream, std::string_view) {
          process_->terminate(std::chrono::seconds(20));
        }));
  run();
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->term_signal, SIGTERM);
}

TEST_F(LibuvProcessLauncherTest, TerminateEscalatesToSigkillWhenSigtermIsIgnored) {
  Observed observed;
  start(shell("trap '' TERM; echo ready; exec sleep 1000"),
        recordInto(observed,
                   [&](OutputStream, std::string_view) { process_->terminate(milliseconds(50)); }));
  run();
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->term_signal, SIGKILL);
  EXPECT_EQ(observed.exits, 1);
}

TEST_F(LibuvProcessLauncherTest, SecondTerminateDoesNotPostponeTheKill) {
  Observed observed;
  start(shell("trap '' TERM; echo ready; exec sleep 1000"),
        recordInto(observed, [&](OutputStream, std::string_view) {
          process_->terminate(milliseconds(50));
          process_->terminate(std::chrono::hours(1));
        }));
  run();
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->term_signal, SIGKILL);
}

TEST_F(LibuvProcessLauncherTest, TerminateAfterExitDoesNothing) {
  Observed observed;
  start(shell("exit 0"), recordInto(observed));
  run();
  process_->terminate(milliseconds(0));
  // Nothing may fire: a timer enabled afterwards is a fence for anything due as soon.
  event::TimerPtr fence = dispatcher_->createTimer([this] { dispatcher_->exit(); });
  fence->enable(milliseconds(10));
  run();
  EXPECT_EQ(observed.exits, 1);
}

TEST_F(LibuvProcessLauncherTest, LeftoverMembersOfTheGroupAreKilledWhenTheChildExits) {
  // The background sleep inherits stdout, so without the kill on_exit would wait for it.
  Observed observed;
  std::unique_ptr<PidWatch> leftover;
  start(shell("sleep 1000 & echo $!"),
        recordInto(observed, [&](OutputStream, std::string_view line) {
          leftover = std::make_unique<PidWatch>(parsePid(line));
        }));
  run();
  ASSERT_TRUE(observed.exit.has_value());
  EXPECT_EQ(observed.exit->exit_code, 0);
  ASSERT_NE(leftover, nullptr);
  EXPECT_TRUE(leftover->waitForExit(kGenerousBound));
}

TEST_F(LibuvProcessLauncherTest, OutputHeldOpenOutsideTheGroupIsCutOffAfterTheChildExits) {
  // The escaped process is in a session of its own, out of reach of the group kill, and keeps
  // the pipes open; on_exit still comes, after the drain timeout. It writes its pid to a file
  // once it has left the group, which is what the child waits for before exiting.
  const std::filesystem::path dir = makeTempDir();
  ProcessSpec spec = shell(R"(
setsid sh -c 'echo $$ > "$0/pid.tmp"; mv "$0/pid.tmp" "$0/pid"; echo escaped; exec sleep 1000' "$0" &
until [ -s "$0/pid" ]; do :; done)");
  spec.argv.push_back(dir.string());
  const Observed observed = runToExit(spec);

  std::string pid_text;
  std::ifstream(dir / "pid") >> pid_text;
  const pid_t escaped = parsePid(pid_text);
  ASSERT_GT(escaped, 0);
  PidWatch escaped_watch(escaped);
  kill(escaped, SIGKILL);
  EXPECT_TRUE(escaped_watch.waitForExit(kGenerousBound));
  EXPECT_EQ(observed.exits, 1);
  EXPECT_EQ(observed.events.back(), "exit");
}

TEST_F(LibuvProcessLauncherTest, DestroyingAProcessKillsItsWholeGroup) {
  Observed observed;
  std::unique_ptr<PidWatch> child;
  std::unique_ptr<PidWatch> grandchild;
  start(shell("sleep 1000 & echo \"$$ $!\"; wait"),
        recordInto(observed, [&](OutputStream, std::string_view line) {
          const std::vector<std::string> pids = absl::StrSplit(std::string(line), ' ');
          child = std::make_unique<PidWatch>(parsePid(pids.at(0)));
          grandchild = std::make_unique<PidWatch>(parsePid(pids.at(1)));
          process_.reset();
          dispatcher_->exit();
        }));
  run();
  ASSERT_NE(child, nullptr);
  EXPECT_TRUE(child->waitForExit(kGenerousBound));
  EXPECT_TRUE(grandchild->waitForExit(kGenerousBound));
  shutDown();  // reaps the child
  EXPECT_EQ(observed.exits, 0);
}

TEST_F(LibuvProcessLauncherTest, NoCallbackRunsAfterTheProcessIsDestroyed) {
  Observed observed;
  start(shell("echo one; echo two; echo three >&2; exec sleep 1000"),
        recordInto(observed, [&](OutputStream, std::string_view) {
          process_.reset();
          dispatcher_->exit();
        }));
  run();
  shutDown();  // runs the loop until the child has been reaped and every handle closed
  EXPECT_THAT(observed.events, ElementsAre("out:one"));
}

TEST_F(LibuvProcessLauncherTest, ProcessMayBeDestroyedInItsExitCallback) {
  bool exited = false;
  start(shell("echo bye"), ProcessCallbacks{.on_line = {}, .on_exit = [&](ExitStatus) {
                                              exited = true;
                                              process_.reset();
                                              dispatcher_->exit();
                                            }});
  run();
  EXPECT_TRUE(exited);
  EXPECT_EQ(process_, nullptr);
}

TEST_F(LibuvProcessLauncherTest, ProcessMayOutliveItsExitUntilTheOwnerDropsIt) {
  const Observed observed = runToExit(shell("exit 5"));
  EXPECT_EQ(observed.exit->exit_code, 5);
  // runToExit dropped the Process after run(): its handles were already closed on exit.
}

TEST_F(LibuvProcessLauncherTest, ManyChildrenAtOnceEachReportTheirOwnExit) {
  constexpr int kChildren = 20;
  std::vector<ProcessPtr> children;
  std::vector<int> exit_codes(kChildren, -1);
  int exited = 0;
  for (int i = 0; i < kChildren; ++i) {
    absl::StatusOr<ProcessPtr> child =
        launcher_->spawn(shell("exit " + std::to_string(i)),
                         ProcessCallbacks{.on_line = {}, .on_exit = [&, i](ExitStatus status) {
                                            exit_codes[i] = status.exit_code;
                                            if (++exited == kChildren) {
                                              dispatcher_->exit();
                                            }
                                          }});
    ASSERT_OK(child);
    children.push_back(*std::move(child));
  }
  run();
  for (int i = 0; i < kChildren; ++i) {
    EXPECT_EQ(exit_codes[i], i);
  }
}

}  // namespace
}  // namespace pfd::process
