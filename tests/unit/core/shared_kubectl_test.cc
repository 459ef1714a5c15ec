// Forwards of the same pod and ports share one kubectl: joining, replaying its ready lines,
// leaving, and who terminates or kills the child.
#include "daemon/core/shared_kubectl.h"

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fakes/fake_process_launcher.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;

// What one member heard.
struct Heard {
  std::vector<std::string> lines;
  std::optional<process::ExitStatus> exit;

  process::ProcessCallbacks callbacks() {
    return {.on_line = [this](process::OutputStream,
                              std::string_view line) { lines.emplace_back(line); },
            .on_exit = [this](const process::ExitStatus& status) { exit = status; }};
  }
};

class SharedKubectlsTest : public ::testing::Test {
 protected:
  static process::ProcessSpec web1() {
    return {.argv = {"kubectl", "port-forward", "pod/web-1", "0:8080", "--address", "127.0.0.1"}};
  }
  static process::ProcessSpec web2() {
    return {.argv = {"kubectl", "port-forward", "pod/web-2", "0:8080", "--address", "127.0.0.1"}};
  }

  SharedKubectls::MemberPtr spawn(const process::ProcessSpec& spec, Heard& heard) {
    auto member = shared_.join(spec, heard.callbacks());
    EXPECT_TRUE(member.ok()) << member.status();
    return member.ok() ? std::move(*member) : nullptr;
  }

  testing::SimulatedDispatcher dispatcher_;
  testing::FakeProcessLauncher launcher_{dispatcher_};
  SharedKubectls shared_{dispatcher_, launcher_};
};

TEST_F(SharedKubectlsTest, TheSameCommandJoinsTheRunningChildAndHearsItsReadyLinesReplayed) {
  Heard first;
  Heard second;
  auto a = spawn(web1(), first);
  launcher_.last()->print("Forwarding from 127.0.0.1:40001 -> 8080");
  launcher_.last()->print("Handling connection for 8080");
  auto b = spawn(web1(), second);
  EXPECT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_FALSE(a->joined());
  EXPECT_TRUE(b->joined());
  EXPECT_EQ(b->pid(), a->pid());
  EXPECT_EQ(b->others(), 1u);
  EXPECT_TRUE(second.lines.empty()) << "a joiner hears nothing inside spawn()";

  dispatcher_.runPosted();
  EXPECT_EQ(second.lines, std::vector<std::string>{"Forwarding from 127.0.0.1:40001 -> 8080"})
      << "the ready line is replayed; per-connection lines are not";

  launcher_.last()->printError("error: lost connection to pod");
  EXPECT_EQ(first.lines.back(), "error: lost connection to pod");
  EXPECT_EQ(second.lines.back(), "error: lost connection to pod");
  launcher_.last()->exit(1);
  ASSERT_TRUE(first.exit.has_value());
  ASSERT_TRUE(second.exit.has_value());
  EXPECT_EQ(first.exit->exit_code, 1);
  EXPECT_EQ(second.exit->exit_code, 1);
  EXPECT_EQ(shared_.openChildren(), 0u);
}

TEST_F(SharedKubectlsTest, AnotherPodOrCommandStartsItsOwnChild) {
  Heard first;
  Heard second;
  Heard third;
  auto a = spawn(web1(), first);
  auto b = spawn(web2(), second);
  process::ProcessSpec with_env = web1();
  with_env.env = {{"KUBECONFIG", "/tmp/other"}};
  auto c = spawn(with_env, third);
  EXPECT_EQ(launcher_.spawnCount(), 3u);
  EXPECT_FALSE(b->joined());
  EXPECT_FALSE(c->joined());
  EXPECT_NE(a->pid(), b->pid());
}

TEST_F(SharedKubectlsTest, AMemberThatTerminatesLeavesTheChildToTheOthersAndNobodyJoinsItAgain) {
  Heard first;
  Heard second;
  auto a = spawn(web1(), first);
  auto b = spawn(web1(), second);
  dispatcher_.runPosted();
  const testing::FakeChildPtr child = launcher_.last();

  a->terminate(milliseconds(3000));
  EXPECT_EQ(child->terminate_calls, 0) << "the other member still uses it";
  EXPECT_FALSE(first.exit.has_value()) << "the exit is heard later, never inside terminate()";
  dispatcher_.runPosted();
  ASSERT_TRUE(first.exit.has_value());
  EXPECT_EQ(first.exit->term_signal, SIGTERM);
  EXPECT_TRUE(a->left());
  EXPECT_TRUE(child->alive);

  child->print("Handling connection for 8080");
  EXPECT_TRUE(first.lines.empty()) << "a member that left hears nothing more";

  Heard third;
  auto c = spawn(web1(), third);
  EXPECT_FALSE(c->joined()) << "a run that stopped its kubectl wants a new one next time";
  EXPECT_EQ(launcher_.spawnCount(), 2u);

  b->terminate(milliseconds(2000));
  EXPECT_EQ(child->terminate_calls, 1) << "the last member's terminate reaches the child";
  EXPECT_EQ(child->grace, milliseconds(2000));
  dispatcher_.runPosted();
  ASSERT_TRUE(second.exit.has_value());
  EXPECT_FALSE(b->left());
  EXPECT_EQ(second.exit->term_signal, SIGTERM);
}

TEST_F(SharedKubectlsTest, ADrainingMemberClosesItsChildToNewMembers) {
  Heard first;
  Heard second;
  auto a = spawn(web1(), first);
  a->closeToOthers();
  auto b = spawn(web1(), second);
  EXPECT_FALSE(b->joined());
  EXPECT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_EQ(launcher_.children()[0]->terminate_calls, 0) << "it still serves its connections";
}

TEST_F(SharedKubectlsTest, DestroyingTheLastMemberKillsTheChild) {
  Heard first;
  Heard second;
  auto a = spawn(web1(), first);
  auto b = spawn(web1(), second);
  const testing::FakeChildPtr child = launcher_.last();
  a.reset();
  dispatcher_.runPosted();
  EXPECT_FALSE(child->destroyed) << "another member uses it";
  b.reset();
  dispatcher_.runPosted();
  EXPECT_TRUE(child->destroyed);
  Heard third;
  auto c = spawn(web1(), third);
  EXPECT_FALSE(c->joined());
}

TEST_F(SharedKubectlsTest, AJoinerWhoseChildExitsBeforeItsReplayHearsTheLinesThenTheExit) {
  Heard first;
  Heard second;
  auto a = spawn(web1(), first);
  launcher_.last()->printError("error: unable to forward port because pod is not running");
  auto b = spawn(web1(), second);
  launcher_.last()->exit(1);
  ASSERT_TRUE(first.exit.has_value());
  EXPECT_FALSE(second.exit.has_value()) << "not before its replay";
  dispatcher_.runPosted();
  EXPECT_EQ(second.lines,
            std::vector<std::string>{"error: unable to forward port because pod is not running"});
  ASSERT_TRUE(second.exit.has_value());
  EXPECT_EQ(second.exit->exit_code, 1);
}

TEST_F(SharedKubectlsTest, AFailedSpawnIsReportedAndLeavesNothingToJoin) {
  Heard first;
  launcher_.failNextSpawn(absl::NotFoundError("kubectl: not found on PATH"));
  auto failed = shared_.join(web1(), first.callbacks());
  EXPECT_TRUE(absl::IsNotFound(failed.status()));
  EXPECT_EQ(shared_.openChildren(), 0u);
  Heard second;
  auto b = spawn(web1(), second);
  EXPECT_FALSE(b->joined());
}

TEST_F(SharedKubectlsTest, AChildThatPrintedMoreThanAJoinerCouldBeToldTakesNoNewMembers) {
  Heard first;
  auto a = spawn(web1(), first);
  const std::string line(1024, 'x');
  for (int i = 0; i < 300; ++i) {
    launcher_.last()->print(line);
  }
  EXPECT_EQ(first.lines.size(), 300u) << "its own members hear all of it";
  Heard second;
  auto b = spawn(web1(), second);
  EXPECT_FALSE(b->joined());
}

}  // namespace
}  // namespace pfd::core
