// ExecProber against a scripted launcher: how exits, output, spawn errors, timeouts and
// cancellation become results. exec_prober_process_test.cc runs real processes.
#include "daemon/probe/exec_prober.h"

#include <csignal>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_process_launcher.h"
#include "tests/fakes/simulated_dispatcher.h"
#include "tests/unit/probe/test_loop.h"

namespace pfd::probe {
namespace {

using ::testing::ElementsAre;
using testing::ResultRecorder;
using ::testing::SizeIs;
using testing::TestLoop;

core::ProbeSpec execSpec(std::vector<std::string> command,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  core::ProbeSpec spec;
  spec.kind = core::ProbeSpec::Kind::kExec;
  spec.command = std::move(command);
  spec.timeout = timeout;
  return spec;
}

class ExecProberTest : public ::testing::Test {
 protected:
  // Starts a probe; the test then scripts the fake child.
  ProbeHandlePtr start(const core::ProbeSpec& spec) {
    ProbeHandlePtr handle = prober_.run(spec, "127.0.0.1", recorder_.callback());
    EXPECT_EQ(recorder_.calls, 0) << "done ran inside run()";
    return handle;
  }

  // Lets the loop deliver the result; checks that it came exactly once.
  ProbeResult finish() {
    EXPECT_TRUE(loop_.runUntil([&] { return recorder_.calls > 0; }));
    loop_.runUntilIdle();
    EXPECT_EQ(recorder_.calls, 1);
    return recorder_.result.value_or(ProbeResult{});
  }

  TestLoop loop_;
  // Only terminate() of a fake child uses it, and the prober never calls terminate().
  pfd::testing::SimulatedDispatcher dispatcher_;
  pfd::testing::FakeProcessLauncher launcher_{dispatcher_};
  ExecProber prober_{loop_.dispatcher(), launcher_};
  ResultRecorder recorder_;
};

TEST_F(ExecProberTest, RunsTheCommandAsAnArgvAndSucceedsOnExitCodeZero) {
  ProbeHandlePtr handle = start(execSpec({"cat", "/tmp/healthy"}));
  ASSERT_THAT(launcher_.children(), SizeIs(1));
  EXPECT_THAT(launcher_.last()->spec.argv, ElementsAre("cat", "/tmp/healthy"));

  launcher_.last()->exit(0);
  EXPECT_EQ(recorder_.calls, 0) << "an exit is delivered on the next loop turn";
  ProbeResult result = finish();

  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.message, "exit code 0");
}

TEST_F(ExecProberTest, FailsOnANonZeroExitWithTheLastOutputLine) {
  ProbeHandlePtr handle = start(execSpec({"check"}));
  launcher_.last()->print("checking database");
  launcher_.last()->printError("database not ready  ");
  launcher_.last()->print("");
  launcher_.last()->exit(1);

  ProbeResult result = finish();

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "exit code 1: database not ready");
}

TEST_F(ExecProberTest, FailsOnANonZeroExitWithoutOutput) {
  ProbeHandlePtr handle = start(execSpec({"false"}));
  launcher_.last()->exit(3);

  EXPECT_EQ(finish().message, "exit code 3");
}

TEST_F(ExecProberTest, CutsAVeryLongOutputLine) {
  ProbeHandlePtr handle = start(execSpec({"check"}));
  launcher_.last()->print(std::string(10000, 'e'));
  launcher_.last()->exit(1);

  ProbeResult result = finish();

  EXPECT_EQ(result.message, "exit code 1: " + std::string(ExecProber::kMaxMessageLineBytes, 'e'));
}

TEST_F(ExecProberTest, FailsWhenASignalEndsTheCommand) {
  ProbeHandlePtr handle = start(execSpec({"check"}));
  launcher_.last()->exit(0, SIGKILL);

  ProbeResult result = finish();

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "killed by signal 9");
}

TEST_F(ExecProberTest, ReportsTheSpawnErrorOnTheLoop) {
  launcher_.failNextSpawn(absl::NotFoundError("healthcheck: program not found on PATH (/usr/bin)"));

  ProbeHandlePtr handle = start(execSpec({"healthcheck"}));
  ProbeResult result = finish();

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "healthcheck: program not found on PATH (/usr/bin)");
}

TEST_F(ExecProberTest, FailsOnTheLoopWithoutACommand) {
  ProbeHandlePtr handle = start(execSpec({}));
  ProbeResult result = finish();

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "exec probe has no command; set exec.command");
  EXPECT_EQ(launcher_.spawnAttempts(), 0u);
}

TEST_F(ExecProberTest, KillsTheCommandAtTheTimeout) {
  ProbeHandlePtr handle = start(execSpec({"sleep", "100"}, std::chrono::milliseconds(50)));

  ProbeResult result = finish();

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "timeout after 50ms");
  // Destroying the Process is what kills its process group.
  EXPECT_TRUE(launcher_.last()->destroyed);
}

TEST_F(ExecProberTest, ReleasesTheProcessOnceItExited) {
  ProbeHandlePtr handle = start(execSpec({"true"}));
  launcher_.last()->exit(0);
  finish();

  EXPECT_TRUE(launcher_.last()->destroyed);
}

TEST_F(ExecProberTest, NeverCallsBackAfterTheHandleIsDestroyed) {
  ProbeHandlePtr handle = start(execSpec({"sleep", "100"}, std::chrono::milliseconds(50)));
  pfd::testing::FakeChildPtr child = launcher_.last();

  handle.reset();
  child->exit(0);
  loop_.runUntilIdle();

  EXPECT_EQ(recorder_.calls, 0);
  EXPECT_TRUE(child->destroyed);
}

TEST_F(ExecProberTest, NeverCallsBackWhenDestroyedBetweenExitAndDelivery) {
  ProbeHandlePtr handle = start(execSpec({"true"}));
  launcher_.last()->exit(0);

  handle.reset();
  loop_.runUntilIdle();

  EXPECT_EQ(recorder_.calls, 0);
}

}  // namespace
}  // namespace pfd::probe
