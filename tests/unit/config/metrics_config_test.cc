// The top-level `metrics:` mapping (daemon/config/metrics_parser.cc).
#include "daemon/config/config_loader.h"
#include "daemon/config/metrics_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using ::pfd::config::testing::invalidAt;
using ::pfd::config::testing::invalidWith;
using ::pfd::config::testing::kFile;
using ::pfd::config::testing::parse;
using ::testing::HasSubstr;

constexpr const char* kForwards = "forwards: []\n";

TEST(MetricsConfigTest, AbsentOrEmptyIsOff) {
  absl::StatusOr<Config> config = parse(kForwards);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->metrics.has_value());
  config = parse(std::string("metrics:\n") + kForwards);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->metrics.has_value()) << "an empty metrics: is its lines commented out";
}

TEST(MetricsConfigTest, AnEmptyMappingServesOnTheDefaultLoopbackAddress) {
  absl::StatusOr<Config> config = parse(std::string("metrics: {}\n") + kForwards);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->metrics.has_value());
  EXPECT_EQ(config->metrics->address(), "127.0.0.1:9469");
  EXPECT_FALSE(config->metrics->allow_remote);
}

TEST(MetricsConfigTest, ReadsLoopbackAddresses) {
  struct Case {
    const char* written;
    const char* address;
  };
  for (const Case& c :
       {Case{"127.0.0.1:9100", "127.0.0.1:9100"}, Case{"127.1.2.3:9100", "127.1.2.3:9100"},
        Case{"localhost:9101", "127.0.0.1:9101"}, Case{"\"[::1]:9102\"", "[::1]:9102"},
        Case{"\"::1\"", "[::1]:9469"}, Case{"127.0.0.1", "127.0.0.1:9469"}}) {
    absl::StatusOr<Config> config =
        parse(std::string("metrics:\n  address: ") + c.written + "\n" + kForwards);
    ASSERT_TRUE(config.ok()) << c.written << ": " << config.status();
    ASSERT_TRUE(config->metrics.has_value());
    EXPECT_EQ(config->metrics->address(), c.address) << c.written;
  }
}

TEST(MetricsConfigTest, ANonLoopbackAddressNeedsAllowRemote) {
  EXPECT_THAT(parse(std::string("metrics:\n  address: 0.0.0.0:9469\n") + kForwards),
              invalidAt(2, 12,
                        "metrics.address: 0.0.0.0:9469 is not a loopback address, and the metrics "
                        "endpoint has no authentication; set metrics.allowRemote: true"));
  EXPECT_THAT(parse(std::string("metrics:\n  address: \"[::]:9469\"\n") + kForwards),
              invalidWith("metrics.address", "not a loopback address"));
  EXPECT_THAT(parse(std::string("metrics:\n  address: 192.168.1.5:9469\n") + kForwards),
              invalidWith("not a loopback address"));

  absl::StatusOr<Config> config =
      parse(std::string("metrics:\n  address: 0.0.0.0:9469\n  allowRemote: true\n") + kForwards);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics->address(), "0.0.0.0:9469");
  EXPECT_TRUE(config->metrics->allow_remote);
}

TEST(MetricsConfigTest, BadAddressesSayWhatToWrite) {
  EXPECT_THAT(parse(std::string("metrics:\n  address: example.com:9469\n") + kForwards),
              invalidAt(2, 12, "metrics.address: \"example.com\" is not an IP address"));
  EXPECT_THAT(parse(std::string("metrics:\n  address: 127.0.0.1:0\n") + kForwards),
              invalidWith("port \"0\" is not a number from 1 to 65535"));
  EXPECT_THAT(parse(std::string("metrics:\n  address: 127.0.0.1:http\n") + kForwards),
              invalidWith("port \"http\" is not a number"));
  EXPECT_THAT(parse(std::string("metrics:\n  address: \"[::1\"\n") + kForwards),
              invalidWith("no closing \"]\""));
  EXPECT_THAT(parse(std::string("metrics:\n  address: \"\"\n") + kForwards),
              invalidWith("metrics.address"));
  EXPECT_THAT(parse(std::string("metrics:\n  allowRemote: maybe\n") + kForwards),
              invalidWith("metrics.allowRemote"));
}

TEST(MetricsConfigTest, UnknownKeysGetADidYouMean) {
  EXPECT_THAT(parse(std::string("metrics:\n  adress: 127.0.0.1:9469\n") + kForwards),
              invalidWith("adress", "address"));
  EXPECT_THAT(parse(std::string("metrics: 9469\n") + kForwards), invalidWith("metrics"));
}

TEST(MetricsConfigTest, CheckReportsTheMetricsErrorBesideTheForwards) {
  ConfigCheck check = checkConfig(
      "metrics: {address: \"0.0.0.0:9469\"}\n"
      "forwards:\n"
      "  - {name: Bad_Name, target: x, ports: [\"81\"]}\n",
      kFile);
  ASSERT_EQ(check.errors.size(), 2u);
  EXPECT_THAT(check.errors[0].message(), HasSubstr("not a loopback address"));
  EXPECT_THAT(check.errors[1].message(), HasSubstr("forwards[0].name"));
}

TEST(MetricsConfigTest, LoopbackHosts) {
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("127.255.0.9"));
  EXPECT_TRUE(isLoopbackHost("::1"));
  EXPECT_TRUE(isLoopbackHost("::ffff:127.0.0.1"));
  EXPECT_FALSE(isLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(isLoopbackHost("::"));
  EXPECT_FALSE(isLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(isLoopbackHost("128.0.0.1"));
}

}  // namespace
}  // namespace pfd::config
