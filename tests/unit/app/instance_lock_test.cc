// The lock file next to the socket: one pfd per socket, and never a write through a planted link.
#include "daemon/app/instance_lock.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/app/private_temp_dir.h"

namespace pfd::app {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class InstanceLockTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  testing::PrivateTempDir dir_;
  // What a planted link points at: a file the user cares about.
  const std::string victim_ = dir_.file("precious");
  const std::string socket_ = dir_.file("pfd.sock");
  const std::string lock_ = socket_ + ".lock";
};

TEST_F(InstanceLockTest, WritesItsPidIntoTheLockFile) {
  auto lock = InstanceLock::acquire(socket_);
  ASSERT_OK(lock);
  EXPECT_EQ(contents(lock_), absl::StrCat(getpid(), "\n"));
  struct stat info {};
  ASSERT_EQ(lstat(lock_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(InstanceLockTest, ALongerPidLeftByAnEarlierPfdIsReplacedWhole) {
  std::ofstream(lock_) << "123456789012345678\n";
  ASSERT_EQ(chmod(lock_.c_str(), 0600), 0);
  auto lock = InstanceLock::acquire(socket_);
  ASSERT_OK(lock);
  EXPECT_EQ(contents(lock_), absl::StrCat(getpid(), "\n"));
}

TEST_F(InstanceLockTest, ASecondLockOnTheSameSocketNamesTheFirst) {
  auto first = InstanceLock::acquire(socket_);
  ASSERT_OK(first);
  EXPECT_THAT(InstanceLock::acquire(socket_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("pfd is already running (pid ", getpid(), ")"))));
}

TEST_F(InstanceLockTest, ASymlinkPlantedAtTheLockIsRefusedAndItsTargetUntouched) {
  std::ofstream(victim_) << "keep me\n";
  ASSERT_EQ(symlink(victim_.c_str(), lock_.c_str()), 0);
  EXPECT_THAT(
      InstanceLock::acquire(socket_),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(lock_), HasSubstr("is a symbolic link"), HasSubstr("rm " + lock_))));
  EXPECT_EQ(contents(victim_), "keep me\n");
}

TEST_F(InstanceLockTest, ASymlinkToAMissingFileCreatesNothingThere) {
  ASSERT_EQ(symlink(victim_.c_str(), lock_.c_str()), 0);
  EXPECT_THAT(InstanceLock::acquire(socket_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is a symbolic link")));
  struct stat info {};
  EXPECT_NE(lstat(victim_.c_str(), &info), 0) << "O_CREAT must not follow the link";
}

TEST_F(InstanceLockTest, AHardLinkPlantedAtTheLockIsRefusedAndItsTargetUntouched) {
  std::ofstream(victim_) << "keep me\n";
  ASSERT_EQ(link(victim_.c_str(), lock_.c_str()), 0);
  EXPECT_THAT(InstanceLock::acquire(socket_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("with 2 links"), HasSubstr("will not write to it"))));
  EXPECT_EQ(contents(victim_), "keep me\n");
}

TEST_F(InstanceLockTest, ADirectoryAtTheLockIsRefused) {
  ASSERT_EQ(mkdir(lock_.c_str(), 0700), 0);
  EXPECT_THAT(InstanceLock::acquire(socket_),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("cannot open lock file " + lock_), HasSubstr("remove it"))));
}

TEST_F(InstanceLockTest, ASocketDirectoryOthersCanWriteIsRefusedBeforeTheLockIsOpened) {
  ASSERT_EQ(chmod(dir_.path().c_str(), 0777), 0);
  EXPECT_THAT(InstanceLock::acquire(socket_), StatusIs(absl::StatusCode::kPermissionDenied,
                                                       HasSubstr("chmod go-w " + dir_.path())));
  struct stat info {};
  EXPECT_NE(lstat(lock_.c_str(), &info), 0);
}

}  // namespace
}  // namespace pfd::app
