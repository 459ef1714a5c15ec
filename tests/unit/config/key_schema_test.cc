#include "daemon/config/key_schema.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::config {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;

TEST(KeySchemaTest, ExportsNestedPathsWithListMarkers) {
  EXPECT_THAT(
      acceptedKeyPaths(),
      IsSupersetOf({"reloadOnChange", "defaults", "defaults.backoff.resetAfter",
                    "defaults.readiness.httpGet.httpHeaders[].value", "forwards", "forwards[].name",
                    "forwards[].readiness.exec.command", "forwards[].readiness.tcpSocket.port",
                    "defaults.replayBuffer", "forwards[].holdPort", "forwards[].start"}));
}

TEST(KeySchemaTest, PathsAreSortedAndUnique) {
  std::vector<std::string> paths = acceptedKeyPaths();
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  EXPECT_EQ(std::set<std::string>(paths.begin(), paths.end()).size(), paths.size());
}

TEST(KeySchemaTest, EveryDefaultsKeyCanAlsoBeSetPerForward) {
  std::vector<std::string> paths = acceptedKeyPaths();
  for (const std::string& path : paths) {
    if (path.starts_with("defaults.")) {
      EXPECT_THAT(paths, Contains("forwards[]." + path.substr(9)));
    }
  }
}

}  // namespace
}  // namespace pfd::config
