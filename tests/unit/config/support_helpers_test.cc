// The small helpers behind the loader's messages and checks.
#include <array>

#include "absl/strings/string_view.h"
#include "daemon/config/address_list.h"
#include "daemon/config/did_you_mean.h"
#include "daemon/config/dns_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace pfd::config {
namespace {

using ::testing::Eq;
using ::testing::Optional;

constexpr std::array<absl::string_view, 4> kKeys{"namespace", "name", "initialDelaySeconds",
                                                 "port"};

TEST(ClosestMatchTest, SuggestsAKeyWithATypo) {
  EXPECT_THAT(closestMatch("namspace", kKeys), Optional(Eq("namespace")));
  EXPECT_THAT(closestMatch("nmae", kKeys), Optional(Eq("name")));
}

TEST(ClosestMatchTest, IgnoresCaseAndSeparators) {
  EXPECT_THAT(closestMatch("initial_delay_seconds", kKeys), Optional(Eq("initialDelaySeconds")));
  EXPECT_THAT(closestMatch("PORT", kKeys), Optional(Eq("port")));
}

TEST(ClosestMatchTest, SuggestsNothingForUnrelatedWords) {
  EXPECT_EQ(closestMatch("colour", kKeys), std::nullopt);
  EXPECT_EQ(closestMatch("x", kKeys), std::nullopt);
}

TEST(DnsNamesTest, LabelsFollowRfc1123) {
  EXPECT_TRUE(isDnsLabel("web-1"));
  EXPECT_TRUE(isDnsLabel("1web"));
  EXPECT_FALSE(isDnsLabel(""));
  EXPECT_FALSE(isDnsLabel("Web"));
  EXPECT_FALSE(isDnsLabel("web."));
  EXPECT_FALSE(isDnsLabel(std::string(64, 'a')));
  EXPECT_TRUE(isDnsLabel(std::string(63, 'a')));
}

TEST(DnsNamesTest, SubdomainsAreDottedLabels) {
  EXPECT_TRUE(isDnsSubdomain("my.app-1"));
  EXPECT_FALSE(isDnsSubdomain("my..app"));
  EXPECT_FALSE(isDnsSubdomain(".app"));
}

TEST(DnsNamesTest, ServiceNamesStartWithALetter) {
  EXPECT_TRUE(isDns1035Label("web"));
  EXPECT_FALSE(isDns1035Label("1web"));
  EXPECT_FALSE(isDns1035Label("my.web"));
}

TEST(DnsNamesTest, PortNamesFollowIanaServiceNames) {
  EXPECT_TRUE(isPortName("http"));
  EXPECT_TRUE(isPortName("grpc-web"));
  EXPECT_TRUE(isPortName("h2c"));
  EXPECT_FALSE(isPortName("8080"));
  EXPECT_FALSE(isPortName("a--b"));
  EXPECT_FALSE(isPortName("sixteen-letters1"));
}

TEST(AddressListTest, LocalhostMeansBothLoopbacks) {
  absl::StatusOr<AddressList> localhost = AddressList::parse("localhost");
  absl::StatusOr<AddressList> v4 = AddressList::parse("127.0.0.1");
  absl::StatusOr<AddressList> v6 = AddressList::parse("0:0::1");
  ASSERT_OK(localhost);
  ASSERT_OK(v4);
  ASSERT_OK(v6);
  EXPECT_TRUE(localhost->overlaps(*v4));
  EXPECT_TRUE(v6->overlaps(*localhost));
  EXPECT_FALSE(v4->overlaps(*v6));
}

TEST(AddressListTest, WildcardsCoverTheirFamily) {
  absl::StatusOr<AddressList> any4 = AddressList::parse("0.0.0.0");
  absl::StatusOr<AddressList> any6 = AddressList::parse("::");
  absl::StatusOr<AddressList> v4 = AddressList::parse("127.0.0.5");
  absl::StatusOr<AddressList> v6 = AddressList::parse("::1");
  ASSERT_OK(any4);
  ASSERT_OK(any6);
  ASSERT_OK(v4);
  ASSERT_OK(v6);
  EXPECT_TRUE(any4->overlaps(*v4));
  EXPECT_FALSE(any4->overlaps(*v6));
  EXPECT_TRUE(any6->overlaps(*v4));
  EXPECT_TRUE(v6->overlaps(*any6));
}

TEST(AddressListTest, RefusesHostNames) {
  EXPECT_THAT(AddressList::parse("example.com"),
              pfd::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                     ::testing::HasSubstr("is not an IP address or localhost")));
}

}  // namespace
}  // namespace pfd::config
