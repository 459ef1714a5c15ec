// Where the control socket may live: a directory of pfd's user (or root's) that no one else can
// write to, so that no one can replace the socket or plant its lock file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "daemon/config/paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::config {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kMe = 1000;
const std::string kDir = "/some/dir";

TEST(CheckSocketDirectoryTest, APrivateDirectoryOfMineIsFine) {
  EXPECT_OK(checkSocketDirectory(kDir, kMe, S_IFDIR | 0700, kMe));
}

TEST(CheckSocketDirectoryTest, ADirectoryOfMineOthersCanOnlyReadIsFine) {
  EXPECT_OK(checkSocketDirectory(kDir, kMe, S_IFDIR | 0755, kMe));
}

TEST(CheckSocketDirectoryTest, ARootDirectoryOnlyRootCanWriteIsFine) {
  EXPECT_OK(checkSocketDirectory("/run", 0, S_IFDIR | 0755, kMe));
}

TEST(CheckSocketDirectoryTest, ADirectoryOfAnotherUserIsRefusedEvenWhenPrivate) {
  EXPECT_THAT(checkSocketDirectory(kDir, 1001, S_IFDIR | 0700, kMe),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("the socket directory /some/dir belongs to uid 1001"),
                             HasSubstr("neither to you (uid 1000) nor to root"),
                             HasSubstr("--socket /tmp/pfd-1000/pfd.sock"))));
}

TEST(CheckSocketDirectoryTest, RootIsServedOnlyFromRootsDirectories) {
  EXPECT_THAT(checkSocketDirectory(kDir, kMe, S_IFDIR | 0700, 0),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("belongs to uid 1000")));
}

TEST(CheckSocketDirectoryTest, AGroupWritableDirectoryOfMineSaysHowToMakeItPrivate) {
  EXPECT_THAT(checkSocketDirectory(kDir, kMe, S_IFDIR | 0770, kMe),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("can be written by other users (mode 0770)"),
                             HasSubstr("'chmod go-w /some/dir'"), HasSubstr("--socket"))));
}

TEST(CheckSocketDirectoryTest, AWorldWritableDirectoryOfMineIsRefused) {
  EXPECT_THAT(checkSocketDirectory(kDir, kMe, S_IFDIR | 0777, kMe),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("(mode 0777)")));
}

TEST(CheckSocketDirectoryTest, TmpIsRefusedDespiteItsStickyBitAndNoChmodIsSuggested) {
  EXPECT_THAT(
      checkSocketDirectory("/tmp", 0, S_IFDIR | 01777, kMe),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr("(mode 1777)"), HasSubstr("the sticky bit does not prevent that"),
                     Not(HasSubstr("chmod")), HasSubstr("--socket /tmp/pfd-1000/"))));
}

TEST(CheckSocketDirectoryTest, AGroupWritableRootDirectorySuggestsAnotherDirectory) {
  EXPECT_THAT(
      checkSocketDirectory("/srv/shared", 0, S_IFDIR | 0775, kMe),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(Not(HasSubstr("chmod")), HasSubstr("choose a directory of your own"))));
}

// prepareSocketDirectory on the real file system.
class PrepareSocketDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/pfd-paths-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    root_ = name;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  static mode_t modeOf(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  }

  std::string root_;
};

TEST_F(PrepareSocketDirectoryTest, CreatesAMissingDirectoryAndItsParentsPrivate) {
  const mode_t previous = umask(0);
  const absl::Status status = prepareSocketDirectory(root_ + "/a/b");
  umask(previous);
  ASSERT_OK(status);
  EXPECT_EQ(modeOf(root_ + "/a"), 0700u);
  EXPECT_EQ(modeOf(root_ + "/a/b"), 0700u);
}

TEST_F(PrepareSocketDirectoryTest, LeavesTheModeOfAnAcceptableDirectoryOfTheUserAlone) {
  ASSERT_EQ(chmod(root_.c_str(), 0755), 0);
  EXPECT_OK(prepareSocketDirectory(root_));
  EXPECT_EQ(modeOf(root_), 0755u);
}

TEST_F(PrepareSocketDirectoryTest, RefusesAnExistingDirectoryOthersCanWriteAndLeavesItAsItIs) {
  ASSERT_EQ(chmod(root_.c_str(), 0777), 0);
  EXPECT_THAT(prepareSocketDirectory(root_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("chmod go-w " + root_)));
  EXPECT_EQ(modeOf(root_), 0777u);
}

TEST_F(PrepareSocketDirectoryTest, FollowsASymlinkTheUserChoseToADirectoryAndChecksThatOne) {
  ASSERT_EQ(mkdir((root_ + "/real").c_str(), 0700), 0);
  ASSERT_EQ(chmod((root_ + "/real").c_str(), 0777), 0);
  ASSERT_EQ(symlink((root_ + "/real").c_str(), (root_ + "/link").c_str()), 0);
  EXPECT_THAT(prepareSocketDirectory(root_ + "/link"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("(mode 0777)")));
  ASSERT_EQ(chmod((root_ + "/real").c_str(), 0700), 0);
  EXPECT_OK(prepareSocketDirectory(root_ + "/link"));
}

TEST_F(PrepareSocketDirectoryTest, RefusesAFileWhereTheDirectoryShouldBe) {
  const std::string file = root_ + "/file";
  ASSERT_EQ(close(creat(file.c_str(), 0600)), 0);
  EXPECT_THAT(prepareSocketDirectory(file),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is not a directory")));
}

}  // namespace
}  // namespace pfd::config
