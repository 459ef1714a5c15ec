#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/process/pid_watch.h"

namespace pfd::process {
namespace {

using ::pfd::testing::PidWatch;

// Reads one line from `fd`, giving up after `timeout`.
std::string readLine(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
  char c;
  while (poll(&entry, 1, static_cast<int>(timeout.count())) == 1 && read(fd, &c, 1) == 1) {
    if (c == '\n') {
      return line;
    }
    line.push_back(c);
  }
  return line;
}

// The guarantee pfd-exec exists for: SIGKILL pfd and its children go too.
TEST(PfdDeathTest, ChildDiesWhenPfdIsKilled) {
  int output[2];
  ASSERT_EQ(pipe2(output, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
  // The child says when it runs the program proper: the shim has done its part by then, whereas
  // killing the parent earlier would only exercise the shim's check for a parent already gone.
  const char* argv[] = {PFD_DEATHSIG_PARENT_PATH, "/bin/sh", "-c", "echo running; exec sleep 1000",
                        nullptr};
  pid_t parent = 0;
  const int spawned =
      posix_spawn(&parent, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(output[1]);
  ASSERT_EQ(spawned, 0);

  const std::string line = readLine(output[0], std::chrono::seconds(30));
  const pid_t child = static_cast<pid_t>(std::atoi(line.c_str()));
  ASSERT_GT(child, 0) << "the parent printed no child pid: '" << line << "'";
  PidWatch child_watch(child);
  ASSERT_TRUE(child_watch.valid());
  const std::string child_output = readLine(output[0], std::chrono::seconds(30));
  close(output[0]);
  if (child_output != "running") {
    kill(parent, SIGKILL);
    kill(child, SIGKILL);
    waitpid(parent, nullptr, 0);
    FAIL() << "the child did not start: '" << child_output << "'";
  }

  ASSERT_EQ(kill(parent, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(parent, &status, 0), parent);
  ASSERT_TRUE(WIFSIGNALED(status));

  // pfd promises a second; the bound is generous so that a loaded machine does not fail it.
  const bool gone = child_watch.waitForExit(std::chrono::seconds(10));
  EXPECT_TRUE(gone) << "child " << child << " survived its parent";
  if (!gone) {
    kill(child, SIGKILL);
  }
}

}  // namespace
}  // namespace pfd::process
