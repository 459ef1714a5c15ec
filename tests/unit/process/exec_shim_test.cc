#include "daemon/process/exec_shim.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::process {
namespace {

using ::pfd::testing::IsOkAndHolds;
using ::pfd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the real pfd-exec (PFD_EXEC_SHIM_PATH) through the shell and waits for it.
CommandResult runShim(const std::string& arguments) {
  CommandResult result;
  const std::string command = std::string("'") + PFD_EXEC_SHIM_PATH + "' " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(PfdExecTest, ExecsTheProgramWhenItsParentIsTheGivenPid) {
  // The shell popen starts is the shim's parent: "$$" expands to its pid.
  const CommandResult result = runShim("$$ /bin/echo hello from the child");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "hello from the child\n");
}

TEST(PfdExecTest, ExitsWithoutRunningTheProgramWhenTheParentIsAlreadyGone) {
  // Pid 1 is not the shim's parent: as if pfd had died before the shim asked for its signal.
  const CommandResult result = runShim("1 /bin/echo should not run");
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_EQ(result.output, "");
}

TEST(PfdExecTest, ProgramThatCannotBeExecutedExits127WithAReason) {
  const CommandResult result = runShim("$$ /nonexistent/program");
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_THAT(result.output,
              HasSubstr("pfd-exec: cannot execute /nonexistent/program: No such file"));
}

TEST(PfdExecTest, MissingArgumentsExit127WithUsage) {
  EXPECT_THAT(runShim("$$").output, HasSubstr("usage: pfd-exec PARENT_PID PROGRAM"));
  EXPECT_EQ(runShim("not-a-pid /bin/true").exit_code, 127);
}

class LocateExecShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/pfd-shim-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::filesystem::create_directories(root_ / "bin");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void makeExecutable(const std::filesystem::path& path) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "";
    chmod(path.c_str(), 0755);
  }

  std::filesystem::path root_;
};

TEST_F(LocateExecShimTest, FindsTheShimNextToTheExecutable) {
  makeExecutable(root_ / "bin" / "pfd-exec");
  EXPECT_THAT(locateExecShim((root_ / "bin" / "pfd").string()),
              IsOkAndHolds((root_ / "bin" / "pfd-exec").string()));
}

TEST_F(LocateExecShimTest, FindsTheShimInTheInstallationsLibexecDirectory) {
  const std::filesystem::path installed =
      (root_ / "bin" / execShimDirectoryRelativeToPfd() / "pfd-exec").lexically_normal();
  makeExecutable(installed);
  EXPECT_THAT(locateExecShim((root_ / "bin" / "pfd").string()), IsOkAndHolds(installed.string()));
}

TEST(ExecShimInstallDirectoryTest, DefaultInstallationUsesLibexecPfd) {
  // CMAKE_INSTALL_LIBEXECDIR defaults to libexec, next to bin.
  EXPECT_EQ(execShimDirectoryRelativeToPfd(), "../libexec/pfd");
}

TEST_F(LocateExecShimTest, MissingShimIsNotFoundAndSaysWhereItLooked) {
  EXPECT_THAT(
      locateExecShim((root_ / "bin" / "pfd").string()),
      StatusIs(absl::StatusCode::kNotFound,
               AllOf(HasSubstr((root_ / "bin" / "pfd-exec").string()),
                     HasSubstr((root_ / "bin" / execShimDirectoryRelativeToPfd() / "pfd-exec")
                                   .lexically_normal()
                                   .string()),
                     HasSubstr("reinstall pfd"))));
}

}  // namespace
}  // namespace pfd::process
