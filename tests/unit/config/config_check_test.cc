// checkConfig(): every located error of a config, for `pfd --check` and `pfctl check`.
#include <sstream>

#include "daemon/config/check_report.h"
#include "daemon/config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using ::pfd::config::testing::invalidAt;
using ::pfd::config::testing::kFile;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ConfigCheckTest, AGoodConfigHasNoErrorsAndItsForwards) {
  ConfigCheck check = checkConfig(
      "forwards:\n"
      "  - {name: web, target: deployment/web, ports: [\"8080:80\"]}\n"
      "  - {name: db, target: service/db, ports: [\"5432\"]}\n",
      kFile);
  EXPECT_THAT(check.errors, IsEmpty());
  EXPECT_EQ(check.config.forwards.size(), 2u);
  EXPECT_EQ(check.entries, 2u);
}

TEST(ConfigCheckTest, ReportsAnErrorInEveryForwardNotOnlyTheFirst) {
  ConfigCheck check = checkConfig(
      "defaults:\n"
      "  namespace: Not_A_Namespace\n"  // line 2
      "forwards:\n"
      "  - {name: web, target: deployment/web, ports: [\"8080:80\"]}\n"
      "  - {name: Bad_Name, target: x, ports: [\"81\"]}\n"           // line 5
      "  - {name: api, target: deployment/api, portz: [\"82\"]}\n"   // line 6: unknown key
      "  - {name: web, target: deployment/web2, ports: [\"83\"]}\n"  // line 7: duplicate name
      "  - {name: ok, target: deployment/ok, ports: [\"8080\"]}\n",  // line 8: port taken
      kFile);
  ASSERT_EQ(check.errors.size(), 5u);
  EXPECT_THAT(check.errors[0], invalidAt(2, 14, "defaults.namespace"));
  EXPECT_THAT(check.errors[1], invalidAt(5, 12, "forwards[1].name"));
  EXPECT_THAT(check.errors[2], invalidAt(6, 41, "forwards[2].portz: unknown key"));
  EXPECT_THAT(check.errors[3], invalidAt(7, 12, "forwards[3].name"));
  EXPECT_THAT(check.errors[4], invalidAt(8, 47, "forwards[4].ports[0]"));
  EXPECT_EQ(check.entries, 5u);
  EXPECT_EQ(check.config.forwards.size(), 1u) << "web alone read cleanly";
}

TEST(ConfigCheckTest, ParseConfigStillReportsTheFirstError) {
  const char* yaml =
      "forwards:\n"
      "  - {name: Bad_Name, target: x, ports: [\"81\"]}\n"
      "  - {name: api, target: deployment/api, portz: [\"82\"]}\n";
  EXPECT_THAT(parseConfig(yaml, kFile), invalidAt(2, 12, "forwards[0].name"));
  EXPECT_EQ(checkConfig(yaml, kFile).errors.size(), 2u);
}

TEST(ConfigCheckTest, AYamlSyntaxErrorIsTheOneError) {
  ConfigCheck check = checkConfig("forwards:\n  - name: [unclosed\n", kFile);
  ASSERT_EQ(check.errors.size(), 1u);
  EXPECT_THAT(check.errors[0].message(), ::testing::HasSubstr("invalid YAML"));
}

TEST(ConfigCheckTest, ReportSaysOkWithTheForwardCount) {
  std::ostringstream out;
  std::ostringstream err;
  ConfigCheck check =
      checkConfig("forwards:\n  - {name: web, target: deployment/web, ports: [\"80\"]}\n", kFile);
  EXPECT_EQ(reportConfigCheck(check, "forwards.yaml", out, err), 0);
  EXPECT_EQ(out.str(), "forwards.yaml: 1 forward, OK\n");
  EXPECT_EQ(err.str(), "");
}

TEST(ConfigCheckTest, ReportListsEveryErrorThenTheCount) {
  std::ostringstream out;
  std::ostringstream err;
  ConfigCheck check = checkConfig(
      "forwards:\n"
      "  - {name: Bad_Name, target: x, ports: [\"81\"]}\n"
      "  - {name: api, target: deployment/api}\n",
      kFile);
  EXPECT_EQ(reportConfigCheck(check, "forwards.yaml", out, err), 1);
  EXPECT_EQ(out.str(), "");
  std::vector<std::string> lines;
  std::istringstream in(err.str());
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line.substr(0, line.find(": ", line.find(": ") + 2)));
  }
  EXPECT_THAT(lines,
              ElementsAre("forwards.yaml:2:12: forwards[0].name", "forwards.yaml:3:5: forwards[1]",
                          "forwards.yaml: 2 errors, not loaded"));
}

}  // namespace
}  // namespace pfd::config
