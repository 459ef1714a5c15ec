#include "daemon/process/program_lookup.h"

#include <sys/stat.h>

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

class ProgramLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/pfd-lookup-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::filesystem::create_directory(root_ / "first");
    std::filesystem::create_directory(root_ / "second");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string makeFile(const std::filesystem::path& relative, mode_t mode) {
    const std::filesystem::path path = root_ / relative;
    std::ofstream(path) << "#!/bin/sh\nexit 0\n";
    chmod(path.c_str(), mode);
    return path.string();
  }

  std::string dir(const char* name) const { return (root_ / name).string(); }

  std::filesystem::path root_;
};

TEST_F(ProgramLookupTest, FindsAProgramInTheFirstPathDirectoryThatHasIt) {
  makeFile("first/tool", 0755);
  makeFile("second/tool", 0755);
  EXPECT_THAT(findProgram("tool", dir("first") + ":" + dir("second")),
              IsOkAndHolds(dir("first") + "/tool"));
}

TEST_F(ProgramLookupTest, SkipsANonExecutableFileWhenALaterOneIsExecutable) {
  makeFile("first/tool", 0644);
  makeFile("second/tool", 0755);
  EXPECT_THAT(findProgram("tool", dir("first") + ":" + dir("second")),
              IsOkAndHolds(dir("second") + "/tool"));
}

TEST_F(ProgramLookupTest, MissingProgramIsNotFoundAndNamesThePath) {
  const std::string path = dir("first") + ":" + dir("second");
  EXPECT_THAT(findProgram("kubectl", path),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("kubectl: program not found on PATH (" + path + ")")));
}

TEST_F(ProgramLookupTest, NonExecutableProgramOnPathIsPermissionDenied) {
  makeFile("second/tool", 0644);
  EXPECT_THAT(findProgram("tool", dir("first") + ":" + dir("second")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr(dir("second") + "/tool"), HasSubstr("not executable"))));
}

TEST_F(ProgramLookupTest, DirectoryOnPathWithTheProgramsNameIsSkipped) {
  std::filesystem::create_directory(root_ / "first" / "tool");
  makeFile("second/tool", 0755);
  EXPECT_THAT(findProgram("tool", dir("first") + ":" + dir("second")),
              IsOkAndHolds(dir("second") + "/tool"));
}

TEST_F(ProgramLookupTest, ProgramWithASlashIsTakenAsAPath) {
  const std::string tool = makeFile("second/tool", 0755);
  EXPECT_THAT(findProgram(tool, dir("first")), IsOkAndHolds(tool));
}

TEST_F(ProgramLookupTest, MissingPathIsNotFound) {
  EXPECT_THAT(findProgram(dir("first") + "/missing", "/bin"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such file")));
}

TEST_F(ProgramLookupTest, NonExecutablePathIsPermissionDenied) {
  const std::string tool = makeFile("second/tool", 0644);
  EXPECT_THAT(findProgram(tool, "/bin"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("chmod +x")));
}

TEST_F(ProgramLookupTest, DirectoryPathIsPermissionDenied) {
  EXPECT_THAT(findProgram(dir("first"), "/bin"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is a directory")));
}

TEST_F(ProgramLookupTest, EmptyProgramIsInvalid) {
  EXPECT_THAT(findProgram("", "/bin"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST_F(ProgramLookupTest, EmptyPathEntryMeansTheCurrentDirectory) {
  makeFile("first/tool", 0755);
  const std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(root_ / "first");
  EXPECT_THAT(findProgram("tool", dir("second") + ":"), IsOkAndHolds("tool"));
  std::filesystem::current_path(previous);
}

}  // namespace
}  // namespace pfd::process
