#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "daemon/config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::config {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class LoadConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("pfd-config-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << content;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(LoadConfigFileTest, LoadsAFileAndRemembersItsPath) {
  std::string path =
      write("forwards.yaml", "forwards:\n  - {name: a, target: a, ports: [\"80\"]}\n");
  absl::StatusOr<Config> config = loadConfigFile(path);
  ASSERT_OK(config);
  EXPECT_EQ(config->path, path);
  ASSERT_EQ(config->forwards.size(), 1u);
  EXPECT_EQ(config->forwards[0].name, "a");
}

TEST_F(LoadConfigFileTest, MissingFileIsNotFoundWithAHint) {
  std::string path = (dir_ / "absent.yaml").string();
  EXPECT_THAT(loadConfigFile(path),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr(path), HasSubstr("does not exist; create it"),
                             HasSubstr("config/example.yaml"))));
}

TEST_F(LoadConfigFileTest, ErrorsInsideTheFileNameTheFile) {
  std::string path = write("bad.yaml", "forwards:\n  - name: Bad\n");
  EXPECT_THAT(loadConfigFile(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                             StartsWith(path + ":2:11: forwards[0].name: ")));
}

TEST_F(LoadConfigFileTest, DirectoryIsRefused) {
  EXPECT_THAT(loadConfigFile(dir_.string()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a directory")));
}

TEST_F(LoadConfigFileTest, HugeFileIsRefused) {
  std::string path = write("huge.yaml", "# " + std::string(2 << 20, 'x') + "\nforwards: []\n");
  EXPECT_THAT(loadConfigFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is it the right file?")));
}

// Root reads any file whatever its mode, so under root (as in CI) the load runs in a child that
// has become nobody first; the file's directory is traversable by everyone (0755).
TEST_F(LoadConfigFileTest, UnreadableFileIsPermissionDenied) {
  std::string path = write("secret.yaml", "forwards: []\n");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  GTEST_FLAG_SET(death_test_style, "threadsafe");

  EXPECT_EXIT(
      {
        constexpr uid_t kNobody = 65534;
        if (geteuid() == 0 && (setresgid(kNobody, kNobody, kNobody) != 0 ||
                               setresuid(kNobody, kNobody, kNobody) != 0)) {
          _exit(2);
        }
        absl::StatusOr<Config> config = loadConfigFile(path);
        const bool denied = config.status().code() == absl::StatusCode::kPermissionDenied &&
                            absl::StrContains(config.status().message(), "make it readable");
        if (!denied) {
          fprintf(stderr, "got %s\n", config.status().ToString().c_str());
        }
        _exit(denied ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(ExampleConfigTest, ShippedExampleParses) {
  absl::StatusOr<Config> config = loadConfigFile(PFD_EXAMPLE_CONFIG);
  ASSERT_OK(config);
  EXPECT_FALSE(config->forwards.empty());
}

}  // namespace
}  // namespace pfd::config
