#include "client/connection.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/client/bound_socket.h"
#include "tests/unit/client/temp_dir.h"

namespace pfd::client {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

using fixtures::BoundSocket;

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

  fixtures::TempDir dir_;
};

TEST_F(ConnectionTest, MissingSocketIsNotRunningWithoutTryingGrpc) {
  Connection connection(path("pfd.sock"));
  EXPECT_THAT(connection.stub(),
              StatusIs(absl::StatusCode::kUnavailable,
                       "pfctl: pfd is not running (no socket at " + path("pfd.sock") +
                           "); start it with 'pfd' or 'systemctl --user start pfd'"));
}

TEST_F(ConnectionTest, RegularFileAtTheSocketPathIsUnreachable) {
  std::ofstream(path("pfd.sock")) << "not a socket";
  Connection connection(path("pfd.sock"));
  EXPECT_THAT(connection.stub(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("is not a socket")));
}

TEST_F(ConnectionTest, ExistingSocketGivesAStub) {
  BoundSocket socket(path("pfd.sock"));
  ASSERT_TRUE(socket.bound());
  Connection connection(path("pfd.sock"));
  EXPECT_OK(connection.stub());
}

TEST_F(ConnectionTest, SocketNobodyListensOnIsALeftover) {
  BoundSocket socket(path("pfd.sock"));
  ASSERT_TRUE(socket.bound());
  EXPECT_THAT(notRunningMessage(path("pfd.sock")),
              StartsWith("pfctl: pfd is not running (nothing listens on " + path("pfd.sock")));
}

TEST_F(ConnectionTest, ListeningSocketIsNotAReasonForNotRunning) {
  BoundSocket socket(path("pfd.sock"));
  ASSERT_TRUE(socket.bound());
  ASSERT_TRUE(socket.listen());
  EXPECT_THAT(notRunningMessage(path("pfd.sock")), IsEmpty());
}

TEST_F(ConnectionTest, OverlongSocketPathSaysHowToFixIt) {
  const std::string long_path = path(std::string(120, 's'));
  EXPECT_THAT(notRunningMessage(long_path),
              HasSubstr("is longer than 107 bytes; pick a shorter one with --socket"));
}

TEST_F(ConnectionTest, UnavailableCallBecomesTheNotRunningLine) {
  Connection connection(path("pfd.sock"));
  const absl::Status status = connection.callError(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("pfd is not running (no socket at")));
  EXPECT_EQ(exitCodeFor(status), kExitNotRunning);
}

TEST_F(ConnectionTest, UnavailableFromALiveSocketKeepsTheServersReasonOnOneLine) {
  BoundSocket socket(path("pfd.sock"));
  ASSERT_TRUE(socket.bound());
  ASSERT_TRUE(socket.listen());
  Connection connection(path("pfd.sock"));
  const absl::Status status =
      connection.callError(grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down\nbye"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("is unavailable: shutting down; bye")));
  EXPECT_EQ(std::string(status.message()).find('\n'), std::string::npos);
}

TEST_F(ConnectionTest, DeadlineExceededMeansPfdIsNotAnswering) {
  Connection connection(path("pfd.sock"));
  const absl::Status status =
      connection.callError(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("pfd is not answering on " + path("pfd.sock"))));
  EXPECT_EQ(exitCodeFor(status), kExitNotRunning);
}

TEST_F(ConnectionTest, RefusalKeepsTheDaemonsCodeAndMessage) {
  Connection connection(path("pfd.sock"));
  const absl::Status status = connection.callError(grpc::Status(
      grpc::StatusCode::NOT_FOUND, "no forward named \"wbe\"; known forwards: db, web"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound,
                               "no forward named \"wbe\"; known forwards: db, web"));
  EXPECT_EQ(exitCodeFor(status), kExitRefused);
}

TEST_F(ConnectionTest, APfdOfThisUserIsNoReasonForARefusal) {
  BoundSocket socket(path("pfd.sock"));
  ASSERT_TRUE(socket.bound());
  ASSERT_TRUE(socket.listen());
  EXPECT_EQ(refusalMessage(path("pfd.sock")), std::nullopt);
}

TEST(RefusedUserMessageTest, SaysWhomPfdServesWhoAskedAndWhatToDo) {
  EXPECT_EQ(refusedUserMessage("/run/x/pfd.sock", 0, 4321),
            "pfd at /run/x/pfd.sock runs as uid 0 (root) and serves only that user and root, and "
            "this pfctl runs as uid 4321, so pfd refused the connection; run pfctl as that user "
            "(or as root), or start a pfd of your own with another --socket");
}

TEST(PrintFailureTest, ARefusalOfTheUserIsAnErrorLineAndExitsOne) {
  const absl::Status status =
      absl::PermissionDeniedError(refusedUserMessage("/s/pfd.sock", 0, 4321));
  std::ostringstream err;
  printFailure(status, err);
  EXPECT_THAT(err.str(), StartsWith("error: pfd at /s/pfd.sock runs as uid 0 (root)"));
  EXPECT_EQ(exitCodeFor(status), kExitRefused);
}

TEST(ExitCodeTest, OkIsZero) { EXPECT_EQ(exitCodeFor(absl::OkStatus()), kExitOk); }

TEST(PrintFailureTest, RefusalIsPrefixedWithError) {
  std::ostringstream err;
  printFailure(absl::NotFoundError("no forward named \"x\""), err);
  EXPECT_EQ(err.str(), "error: no forward named \"x\"\n");
}

TEST(PrintFailureTest, NotRunningLineIsPrintedAsItIs) {
  std::ostringstream err;
  printFailure(absl::UnavailableError("pfctl: pfd is not running (no socket at /x)"), err);
  EXPECT_EQ(err.str(), "pfctl: pfd is not running (no socket at /x)\n");
}

TEST(PrintFailureTest, SuccessPrintsNothing) {
  std::ostringstream err;
  printFailure(absl::OkStatus(), err);
  EXPECT_THAT(err.str(), IsEmpty());
}

TEST(ResolveSocketPathTest, FlagWinsOverTheEnvironment) {
  const char* old = std::getenv("PFD_SOCKET");
  const std::string saved = old != nullptr ? old : "";
  setenv("PFD_SOCKET", "/from/env.sock", 1);
  EXPECT_EQ(resolveSocketPath("/from/flag.sock"), "/from/flag.sock");
  EXPECT_EQ(resolveSocketPath(""), "/from/env.sock");
  if (old != nullptr) {
    setenv("PFD_SOCKET", saved.c_str(), 1);
  } else {
    unsetenv("PFD_SOCKET");
  }
}

}  // namespace
}  // namespace pfd::client
