// Who may talk to pfd: its own uid and root; everyone else is refused and logged once per uid.
#include "daemon/app/peer_admission.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::app {
namespace {

using ::testing::Eq;
using ::testing::Optional;

constexpr uid_t kServed = 1000;

TEST(PeerAdmissionTest, AdmitsTheServedUserWithoutLogging) {
  PeerAdmission admission(kServed);
  PeerAdmission::Decision decision = admission.decide(kServed, 42);
  EXPECT_TRUE(decision.admitted);
  EXPECT_EQ(decision.log_line, std::nullopt);
}

TEST(PeerAdmissionTest, AdmitsRootWhoeverPfdRunsAs) {
  PeerAdmission admission(kServed);
  PeerAdmission::Decision decision = admission.decide(0, 42);
  EXPECT_TRUE(decision.admitted);
  EXPECT_EQ(decision.log_line, std::nullopt);
}

TEST(PeerAdmissionTest, RefusesAnotherUserAndSaysWhoIsServed) {
  PeerAdmission admission(kServed);
  PeerAdmission::Decision decision = admission.decide(1001, 4242);
  EXPECT_FALSE(decision.admitted);
  EXPECT_THAT(decision.log_line,
              Optional(Eq("refused a control connection from uid 1001 (pid 4242): pfd serves "
                          "uid 1000 and root only; further refusals of uid 1001 are not logged")));
}

TEST(PeerAdmissionTest, LogsEachRefusedUserOnce) {
  PeerAdmission admission(kServed);
  EXPECT_NE(admission.decide(1001, 1).log_line, std::nullopt);
  PeerAdmission::Decision again = admission.decide(1001, 2);
  EXPECT_FALSE(again.admitted);
  EXPECT_EQ(again.log_line, std::nullopt);
  EXPECT_NE(admission.decide(1002, 3).log_line, std::nullopt) << "another uid is news again";
}

TEST(PeerAdmissionTest, APfdRunningAsRootServesRootOnly) {
  PeerAdmission admission(0);
  EXPECT_TRUE(admission.decide(0, 1).admitted);
  EXPECT_FALSE(admission.decide(1000, 2).admitted);
}

}  // namespace
}  // namespace pfd::app
