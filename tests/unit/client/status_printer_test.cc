#include "client/render/status_printer.h"

#include <sstream>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/client/test_forwards.h"

namespace pfd::client {
namespace {

using ::pfd::testing::IsOkAndHolds;
using ::pfd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

pfd::v1::ListForwardsResponse twoForwards() {
  pfd::v1::ListForwardsResponse response;
  *response.add_forwards() = fixtures::readyWebForward();
  *response.add_forwards() = fixtures::backoffDbForward(kNow);
  response.mutable_config()->set_path("/home/me/.config/pfd/forwards.yaml");
  return response;
}

struct Printed {
  std::string out;
  std::string err;
};

Printed print(const pfd::v1::ListForwardsResponse& response, OutputFormat format,
              TableStyle style = {}) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_OK(printStatus(response, format, style, kNow, out, err));
  return {out.str(), err.str()};
}

TEST(StatusPrinterTest, TablePrintsOneAlignedRowPerForward) {
  const Printed printed = print(twoForwards(), OutputFormat::kTable);
  EXPECT_EQ(printed.out,
            "NAME      TARGET                                   PORTS            STATE     "
            "POD              RESTARTS   AGE       LAST ERROR\n"
            "web       deployment/web                           8080:8000,9090   READY     "
            "web-7d4b9c-x2x   0          3m12s     <none>\n"
            "db        socat TCP-LISTEN:5432 'EXEC:ssh db nc'   5432             BACKOFF   "
            "<none>           4          45s       exited with code 1: unable to forward port "
            "because pod is not running\n");
  EXPECT_THAT(printed.err, IsEmpty());
}

TEST(StatusPrinterTest, ADownClusterIsSaidAboveTheForwardsAndAnUpOneIsNot) {
  pfd::v1::ListForwardsResponse response = twoForwards();
  pfd::v1::Cluster* up = response.add_clusters();
  up->set_context("prod");
  up->set_state(pfd::v1::CLUSTER_STATE_UP);
  pfd::v1::Cluster* down = response.add_clusters();
  down->set_context("kind-dev");
  down->set_state(pfd::v1::CLUSTER_STATE_DOWN);
  down->set_reason("connection refused on 127.0.0.1:6443");
  down->mutable_since()->set_seconds(absl::ToUnixSeconds(kNow) - 42);
  down->set_forwards(12);
  down->set_waiting(11);
  const Printed printed = print(response, OutputFormat::kTable);
  EXPECT_THAT(printed.out,
              ::testing::StartsWith("API server of context kind-dev unreachable for 42s: "
                                    "connection refused on 127.0.0.1:6443; 11 of 12 forwards "
                                    "waiting for it\nNAME "));
  EXPECT_THAT(printed.out, Not(HasSubstr("prod")));
  const Printed json = print(response, OutputFormat::kJson);
  EXPECT_THAT(json.out, HasSubstr("\"clusters\""));
  EXPECT_THAT(json.out, HasSubstr("\"CLUSTER_STATE_DOWN\""));
}

TEST(StatusPrinterTest, WideAddsColumnsAndNeverCutsLines) {
  const Printed printed =
      print(twoForwards(), OutputFormat::kWide, TableStyle{.color = false, .max_width = 40});
  EXPECT_THAT(printed.out, HasSubstr("NAMESPACE   CONTEXT    PID       NEXT RETRY   PROBE"));
  EXPECT_THAT(printed.out, HasSubstr("shop        kind-dev   4242      <none>       ok 3ms"));
  EXPECT_THAT(printed.out,
              HasSubstr("<none>      <none>     <none>    in 3s        HTTP 503 12ms"));
  EXPECT_THAT(printed.out, HasSubstr("because pod is not running\n"));
}

TEST(StatusPrinterTest, TableCutsTheLastErrorToTheTerminalWidth) {
  const Printed printed =
      print(twoForwards(), OutputFormat::kTable, TableStyle{.color = false, .max_width = 140});
  std::istringstream lines(printed.out);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_LE(line.size(), 140u) << line;
  }
  EXPECT_THAT(printed.out, HasSubstr("   45s       exited with code 1: u...\n"));
}

TEST(StatusPrinterTest, TableColoursTheStateOnlyWhenAsked) {
  EXPECT_THAT(print(twoForwards(), OutputFormat::kTable).out, Not(HasSubstr("\033[")));
  const Printed colored =
      print(twoForwards(), OutputFormat::kTable, TableStyle{.color = true, .max_width = {}});
  EXPECT_THAT(colored.out, HasSubstr("\033[32mREADY\033[0m     "));
  EXPECT_THAT(colored.out, HasSubstr("\033[33mBACKOFF\033[0m   "));
}

TEST(StatusPrinterTest, JsonIsTheProto3MappingOfTheResponse) {
  const pfd::v1::ListForwardsResponse response = twoForwards();
  const Printed printed = print(response, OutputFormat::kJson);
  pfd::v1::ListForwardsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(printed.out, &parsed).ok())
      << printed.out;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, response))
      << parsed.DebugString();
  // lowerCamelCase names, and zero values are there for scripts.
  EXPECT_THAT(printed.out, HasSubstr("\"timeInState\""));
  EXPECT_THAT(printed.out, HasSubstr("\"restarts\": 0"));
  EXPECT_THAT(printed.out, HasSubstr("\"state\": \"FORWARD_STATE_READY\""));
  EXPECT_THAT(printed.out, Not(HasSubstr("\033[")));
}

TEST(StatusPrinterTest, JsonNeverColoursEvenOnATerminal) {
  const Printed printed =
      print(twoForwards(), OutputFormat::kJson, TableStyle{.color = true, .max_width = 20});
  EXPECT_THAT(printed.out, Not(HasSubstr("\033[")));
  EXPECT_THAT(printed.out, HasSubstr("because pod is not running"));
}

TEST(StatusPrinterTest, StaleConfigWarnsOnErrAfterTheTable) {
  pfd::v1::ListForwardsResponse response = twoForwards();
  response.mutable_config()->set_stale(true);
  response.mutable_config()->set_error("forwards.yaml:3:7: unknown key \"prot\"");
  const Printed printed = print(response, OutputFormat::kTable);
  EXPECT_THAT(printed.out, Not(HasSubstr("warning")));
  EXPECT_EQ(printed.err,
            "warning: /home/me/.config/pfd/forwards.yaml changed but could not be loaded, so pfd "
            "still runs the previous config: forwards.yaml:3:7: unknown key \"prot\"; fix the file "
            "and run 'pfctl reload'\n");
}

TEST(StatusPrinterTest, AChangeWaitingForReloadSaysHowToApplyIt) {
  pfd::v1::ListForwardsResponse response = twoForwards();
  response.mutable_config()->set_stale(true);
  response.mutable_config()->set_pending(true);
  EXPECT_EQ(staleConfigWarning(response.config()),
            "warning: /home/me/.config/pfd/forwards.yaml changed on disk; pfd still runs the "
            "previous config because reloadOnChange is false: run 'pfctl reload' to apply it");
}

TEST(StatusPrinterTest, CurrentConfigHasNoWarning) {
  EXPECT_THAT(staleConfigWarning(twoForwards().config()), IsEmpty());
}

TEST(StatusPrinterTest, NoForwardsSaysSoOnErr) {
  pfd::v1::ListForwardsResponse response;
  response.mutable_config()->set_path("/etc/pfd.yaml");
  const Printed printed = print(response, OutputFormat::kTable);
  EXPECT_THAT(printed.out, IsEmpty());
  EXPECT_EQ(printed.err, "No forwards in /etc/pfd.yaml.\n");
}

TEST(StatusPrinterTest, ParsesTheOutputFormats) {
  EXPECT_THAT(parseOutputFormat("table"), IsOkAndHolds(OutputFormat::kTable));
  EXPECT_THAT(parseOutputFormat("wide"), IsOkAndHolds(OutputFormat::kWide));
  EXPECT_THAT(parseOutputFormat("json"), IsOkAndHolds(OutputFormat::kJson));
  EXPECT_THAT(parseOutputFormat("yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("table, wide or json")));
}

}  // namespace
}  // namespace pfd::client
