// Runs the real pfctl binary against a fake Control service on a Unix socket and checks what it
// prints and how it exits.
#include <signal.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/render/proto_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/client/bound_socket.h"
#include "tests/unit/client/fake_control_service.h"
#include "tests/unit/client/subprocess.h"
#include "tests/unit/client/temp_dir.h"
#include "tests/unit/client/test_forwards.h"

namespace pfd::client {
namespace {

using fixtures::ProcessResult;
using fixtures::Subprocess;
using ::pfd::testing::IsOkAndHolds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPfctl[] = PFCTL_PATH;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result = absl::StrSplit(text, '\n');
  if (!result.empty() && result.back().empty()) {
    result.pop_back();
  }
  return result;
}

pfd::v1::LogLine logLine(const std::string& text, const std::string& stream, int64_t unix_seconds) {
  pfd::v1::LogLine line;
  line.set_name("web");
  line.set_stream(stream);
  line.set_text(text);
  toProto(absl::FromUnixSeconds(unix_seconds) + absl::Milliseconds(250), line.mutable_time());
  return line;
}

// An initial event ends the snapshot unless `last_initial` says otherwise.
pfd::v1::ForwardEvent event(pfd::v1::Forward forward, pfd::v1::ForwardState state,
                            const std::string& reason, bool initial, bool last_initial = true) {
  pfd::v1::ForwardEvent result;
  result.set_previous_state(forward.state());
  forward.set_state(state);
  *result.mutable_forward() = std::move(forward);
  result.set_reason(reason);
  result.set_initial(initial);
  result.set_last_initial(initial && last_initial);
  return result;
}

class PfctlBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    // $XDG_RUNTIME_DIR/pfd/pfd.sock, so that the default socket rule can find it too.
    std::filesystem::create_directory(dir_.path() + "/pfd");
    socket_path_ = dir_.path() + "/pfd/pfd.sock";
    service_.setForwards({fixtures::readyWebForward(), fixtures::backoffDbForward(absl::Now())});
    pfd::v1::ConfigStatus config;
    config.set_path("/home/me/.config/pfd/forwards.yaml");
    service_.setConfig(config);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_path_, grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr) << "cannot listen on " << socket_path_;
  }

  void TearDown() override {
    if (server_ != nullptr) {
      // Cancels held-open streams at once.
      server_->Shutdown(std::chrono::system_clock::now());
      server_->Wait();
    }
  }

  // pfctl with `args` after "--socket <the fake's socket>", in a clean environment.
  std::vector<std::string> command(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {kPfctl, "--socket", socket_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  ProcessResult run(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) {
    return runArgv(command(args), env);
  }

  ProcessResult runArgv(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& env = {}) {
    absl::StatusOr<ProcessResult> result = fixtures::runToCompletion(argv, env, kHermeticUnset);
    EXPECT_OK(result.status());
    return result.ok() ? *result : ProcessResult{};
  }

  std::unique_ptr<Subprocess> startPfctl(const std::vector<std::string>& args) {
    absl::StatusOr<std::unique_ptr<Subprocess>> process =
        Subprocess::start(command(args), {}, kHermeticUnset);
    EXPECT_OK(process.status());
    return process.ok() ? std::move(*process) : nullptr;
  }

  const std::vector<std::string> kHermeticUnset = {"PFD_SOCKET", "XDG_RUNTIME_DIR", "NO_COLOR",
                                                   "COLUMNS"};
  fixtures::TempDir dir_;
  std::string socket_path_;
  fixtures::FakeControlService service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(PfctlBinaryTest, StatusPrintsATableOfEveryForward) {
  const ProcessResult result = run({"status"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> printed = lines(result.out);
  ASSERT_EQ(printed.size(), 3u) << result.out;
  EXPECT_THAT(printed[0], StartsWith("NAME      TARGET"));
  EXPECT_THAT(printed[0], HasSubstr("PORTS"));
  EXPECT_THAT(printed[1], AllOf(StartsWith("web "), HasSubstr("8080:8000,9090"), HasSubstr("READY"),
                                HasSubstr("web-7d4b9c-x2x"), HasSubstr("3m12s")));
  EXPECT_THAT(printed[2], AllOf(StartsWith("db "), HasSubstr("BACKOFF"), HasSubstr("45s"),
                                HasSubstr("because pod is not running")));
  // Not a terminal: no colour.
  EXPECT_THAT(result.out, Not(HasSubstr("\033[")));
  EXPECT_THAT(result.err, IsEmpty());
}

TEST_F(PfctlBinaryTest, StatusColoursTheStateOnATerminal) {
  absl::StatusOr<ProcessResult> result =
      fixtures::runToCompletion(command({"status"}), {{"TERM", "xterm"}}, kHermeticUnset,
                                /*stdout_on_terminal=*/true);
  ASSERT_OK(result.status());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_THAT(result->out, HasSubstr("\033[32mREADY\033[0m"));
  EXPECT_THAT(result->out, HasSubstr("\033[33mBACKOFF\033[0m"));
}

TEST_F(PfctlBinaryTest, StatusOnATerminalWithNoColorHasNoColour) {
  absl::StatusOr<ProcessResult> result = fixtures::runToCompletion(
      command({"status"}), {{"TERM", "xterm"}, {"NO_COLOR", "1"}}, kHermeticUnset,
      /*stdout_on_terminal=*/true);
  ASSERT_OK(result.status());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_THAT(result->out, HasSubstr("READY"));
  EXPECT_THAT(result->out, Not(HasSubstr("\033[")));
}

TEST_F(PfctlBinaryTest, StatusOfNamedForwardsShowsOnlyThose) {
  const ProcessResult result = run({"status", "db"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> printed = lines(result.out);
  ASSERT_EQ(printed.size(), 2u) << result.out;
  EXPECT_THAT(printed[1], StartsWith("db "));
}

TEST_F(PfctlBinaryTest, StatusJsonIsTheListForwardsResponse) {
  const ProcessResult result = run({"status", "-o", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  pfd::v1::ListForwardsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &parsed).ok()) << result.out;
  ASSERT_EQ(parsed.forwards_size(), 2);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed.forwards(0),
                                                                 fixtures::readyWebForward()));
  EXPECT_EQ(parsed.config().path(), "/home/me/.config/pfd/forwards.yaml");
  EXPECT_THAT(result.out, HasSubstr("\"restarts\": 0"));
}

TEST_F(PfctlBinaryTest, StatusWideAddsTheDetails) {
  const ProcessResult result = run({"status", "-o", "wide"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("NEXT RETRY"));
  EXPECT_THAT(result.out, HasSubstr("ok 3ms"));
  EXPECT_THAT(result.out, HasSubstr("HTTP 503 12ms"));
}

TEST_F(PfctlBinaryTest, StatusWarnsAboutAStaleConfigOnStderr) {
  pfd::v1::ConfigStatus config;
  config.set_path("/home/me/.config/pfd/forwards.yaml");
  config.set_stale(true);
  config.set_error("forwards.yaml:4:3: ports must be a list");
  service_.setConfig(config);
  const ProcessResult result = run({"status"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(lines(result.err), ElementsAre(AllOf(StartsWith("warning: "),
                                                   HasSubstr("forwards.yaml:4:3: ports must be"))));
}

TEST_F(PfctlBinaryTest, UnknownNameExitsOneWithTheKnownNames) {
  const ProcessResult result = run({"status", "wbe"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_EQ(result.err, "error: no forward named \"wbe\"; known forwards: db, web\n");
}

TEST_F(PfctlBinaryTest, RestartPrintsOneLinePerForward) {
  const ProcessResult result = run({"restart", "web"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "web restarted\n");
  ASSERT_TRUE(service_.lastForwardsRequest().has_value());
  EXPECT_THAT(service_.lastForwardsRequest()->names(), ElementsAre("web"));
  EXPECT_FALSE(service_.lastForwardsRequest()->all());
}

TEST_F(PfctlBinaryTest, StopAllStopsEveryForward) {
  const ProcessResult result = run({"stop", "--all"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "web stopped\ndb stopped\n");
  ASSERT_TRUE(service_.lastForwardsRequest().has_value());
  EXPECT_TRUE(service_.lastForwardsRequest()->all());
}

TEST_F(PfctlBinaryTest, StartPrintsStarted) {
  const ProcessResult result = run({"start", "db", "web"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "web started\ndb started\n");
}

TEST_F(PfctlBinaryTest, StartOfAnUnknownNameExitsOne) {
  const ProcessResult result = run({"start", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("known forwards: db, web"));
}

TEST_F(PfctlBinaryTest, RestartWithoutNamesOrAllIsAUsageErrorAndCallsNothing) {
  const ProcessResult result = run({"restart"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_THAT(result.err, HasSubstr("or pass --all"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(PfctlBinaryTest, NamesTogetherWithAllIsAUsageError) {
  EXPECT_EQ(run({"stop", "web", "--all"}).exit_code, 64);
}

TEST_F(PfctlBinaryTest, BadFlagExitsSixtyFour) {
  const ProcessResult result = run({"status", "--no-such-flag"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_THAT(result.err, HasSubstr("--no-such-flag"));
}

TEST_F(PfctlBinaryTest, BadOutputFormatExitsSixtyFour) {
  EXPECT_EQ(run({"status", "-o", "yaml"}).exit_code, 64);
}

TEST_F(PfctlBinaryTest, HelpExitsZeroAndDocumentsExitCodes) {
  const ProcessResult result = run({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, AllOf(HasSubstr("Exit codes:"), HasSubstr("64"), HasSubstr("status")));
  EXPECT_EQ(run({"logs", "--help"}).exit_code, 0);
}

TEST_F(PfctlBinaryTest, EveryCommandHasHelp) {
  for (const std::string command :
       {"status", "restart", "stop", "start", "logs", "watch", "reload", "version", "check"}) {
    const ProcessResult result = run({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_THAT(result.out, HasSubstr("pfctl " + command)) << command;
  }
}

TEST_F(PfctlBinaryTest, AnUnknownCommandIsNamedWithTheKnownOnes) {
  const ProcessResult result = run({"--socket", "/nonexistent.sock", "stauts"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_THAT(result.err,
              HasSubstr("pfctl: unknown command \"stauts\"; commands: status, "
                        "restart, stop, start, logs, watch, describe, tap, reload, version"));
}

TEST_F(PfctlBinaryTest, StatusShortWithoutASummaryIsNotRunningAndAsksNothing) {
  const std::string missing = dir_.path() + "/missing.sock";
  const ProcessResult result = runArgv({kPfctl, "--socket", missing, "status", "--short"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, "pfd: not running\n");
  EXPECT_THAT(result.err, IsEmpty());
}

TEST_F(PfctlBinaryTest, StatusShortNeverCallsTheDaemon) {
  const ProcessResult result = run({"status", "--short"});
  EXPECT_EQ(result.exit_code, 3) << "the fake service wrote no summary file";
  EXPECT_EQ(result.out, "pfd: not running\n");
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(PfctlBinaryTest, NoServerExitsTwoWithExactlyOneLine) {
  const std::string missing = dir_.path() + "/missing.sock";
  const ProcessResult result = runArgv({kPfctl, "--socket", missing, "status"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_EQ(result.err, "pfctl: pfd is not running (no socket at " + missing +
                            "); start it with 'pfd' or 'systemctl --user start pfd'\n");
}

TEST_F(PfctlBinaryTest, SocketLeftBehindExitsTwoWithExactlyOneLine) {
  // A daemon that died left its socket file: it exists, but gRPC cannot connect.
  const std::string stale = dir_.path() + "/stale.sock";
  fixtures::BoundSocket socket(stale);
  ASSERT_TRUE(socket.bound());
  const ProcessResult result = runArgv({kPfctl, "--socket", stale, "restart", "--all"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_EQ(result.err, "pfctl: pfd is not running (nothing listens on " + stale +
                            ", a socket left behind); start it with 'pfd' or 'systemctl --user "
                            "start pfd'\n");
}

TEST_F(PfctlBinaryTest, FindsTheSocketThroughPfdSocket) {
  const ProcessResult result = runArgv({kPfctl, "restart", "web"}, {{"PFD_SOCKET", socket_path_}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "web restarted\n");
}

TEST_F(PfctlBinaryTest, FindsTheSocketUnderXdgRuntimeDir) {
  const ProcessResult result =
      runArgv({kPfctl, "restart", "web"}, {{"XDG_RUNTIME_DIR", dir_.path()}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "web restarted\n");
}

TEST_F(PfctlBinaryTest, LogsPrintsTheTailOfTheKeptLines) {
  service_.setLogs(
      {logLine("one", "stdout", 1'700'000'000), logLine("two", "stderr", 1'700'000'001),
       logLine("three", "pfd", 1'700'000'002)},
      {}, false);
  const ProcessResult result = run({"logs", "web", "--tail", "2"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // stderr lines go to stdout too, like kubectl logs.
  EXPECT_EQ(result.out, "two\nthree\n");
  ASSERT_TRUE(service_.lastLogsRequest().has_value());
  EXPECT_EQ(service_.lastLogsRequest()->tail(), 2u);
  EXPECT_FALSE(service_.lastLogsRequest()->follow());
}

TEST_F(PfctlBinaryTest, LogsWithTimestampsPrefixesRfc3339) {
  service_.setLogs({logLine("Forwarding from 127.0.0.1:8080 -> 8000", "stdout", 1'700'000'000)}, {},
                   false);
  const ProcessResult result = run({"logs", "web", "--timestamps"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "2023-11-14T22:13:20.25Z Forwarding from 127.0.0.1:8080 -> 8000\n");
}

TEST_F(PfctlBinaryTest, LogsFollowPrintsNewLinesUntilTheStreamEnds) {
  service_.setLogs(
      {logLine("kept", "stdout", 1'700'000'000)},
      {logLine("new 1", "stdout", 1'700'000'001), logLine("new 2", "stderr", 1'700'000'002)},
      false);
  const ProcessResult result = run({"logs", "web", "-f"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "kept\nnew 1\nnew 2\n");
  ASSERT_TRUE(service_.lastLogsRequest().has_value());
  EXPECT_TRUE(service_.lastLogsRequest()->follow());
}

TEST_F(PfctlBinaryTest, LogsFollowExitsZeroOnCtrlC) {
  service_.setLogs({logLine("kept", "stdout", 1'700'000'000)},
                   {logLine("new", "stdout", 1'700'000'001)}, true);
  std::unique_ptr<Subprocess> pfctl = startPfctl({"logs", "web", "--follow"});
  ASSERT_NE(pfctl, nullptr);
  EXPECT_THAT(pfctl->readLine(), IsOkAndHolds("kept"));
  EXPECT_THAT(pfctl->readLine(), IsOkAndHolds("new"));
  ASSERT_EQ(kill(pfctl->pid(), SIGINT), 0);
  absl::StatusOr<ProcessResult> result = pfctl->wait();
  ASSERT_OK(result.status());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_THAT(result->err, IsEmpty());
}

TEST_F(PfctlBinaryTest, LogsOfAnUnknownForwardExitsOne) {
  const ProcessResult result = run({"logs", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("error: no forward named \"nope\""));
}

TEST_F(PfctlBinaryTest, LogsWithoutANameIsAUsageError) { EXPECT_EQ(run({"logs"}).exit_code, 64); }

TEST_F(PfctlBinaryTest, LogsWithANegativeTailIsAUsageError) {
  const ProcessResult result = run({"logs", "web", "--tail", "-1"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_THAT(result.err, HasSubstr("--tail"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(PfctlBinaryTest, WatchPrintsTheHeaderThenOneRowPerEvent) {
  const pfd::v1::Forward web = fixtures::readyWebForward();
  service_.setWatchEvents(
      {event(web, pfd::v1::FORWARD_STATE_STARTING, "", true),
       event(web, pfd::v1::FORWARD_STATE_READY, "every port forwards", false),
       event(web, pfd::v1::FORWARD_STATE_BACKOFF, "child exited with code 1", false)},
      false);
  const ProcessResult result = run({"watch"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> printed = lines(result.out);
  ASSERT_EQ(printed.size(), 4u) << result.out;
  EXPECT_THAT(printed[0], AllOf(StartsWith("NAME"), HasSubstr("REASON"), HasSubstr("LAST ERROR")));
  EXPECT_THAT(printed[1], AllOf(StartsWith("web "), HasSubstr("STARTING")));
  EXPECT_THAT(printed[2], AllOf(HasSubstr("READY"), HasSubstr("every port forwards")));
  EXPECT_THAT(printed[3], AllOf(HasSubstr("BACKOFF"), HasSubstr("child exited with code 1")));
}

TEST_F(PfctlBinaryTest, WatchLaysOutTheInitialSnapshotTogether) {
  pfd::v1::Forward web = fixtures::readyWebForward();
  pfd::v1::Forward cart = fixtures::readyWebForward();
  cart.set_name("cart");
  cart.set_target("deployment/shopping-cart");
  service_.setWatchEvents(
      {event(web, pfd::v1::FORWARD_STATE_READY, "", true, /*last_initial=*/false),
       event(cart, pfd::v1::FORWARD_STATE_READY, "", true)},
      false);
  const ProcessResult result = run({"watch"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> printed = lines(result.out);
  ASSERT_EQ(printed.size(), 3u) << result.out;
  const size_t ports = printed[0].find("PORTS");
  ASSERT_NE(ports, std::string::npos) << printed[0];
  EXPECT_EQ(printed[1].find("8080:8000"), ports) << result.out;
  EXPECT_EQ(printed[2].find("8080:8000"), ports) << result.out;
}

TEST_F(PfctlBinaryTest, WatchExitsZeroOnCtrlC) {
  service_.setWatchEvents(
      {event(fixtures::readyWebForward(), pfd::v1::FORWARD_STATE_READY, "", true)}, true);
  std::unique_ptr<Subprocess> pfctl = startPfctl({"watch"});
  ASSERT_NE(pfctl, nullptr);
  EXPECT_THAT(pfctl->readLine(), IsOkAndHolds(StartsWith("NAME")));
  EXPECT_THAT(pfctl->readLine(), IsOkAndHolds(StartsWith("web")));
  ASSERT_EQ(kill(pfctl->pid(), SIGINT), 0);
  absl::StatusOr<ProcessResult> result = pfctl->wait();
  ASSERT_OK(result.status());
  EXPECT_EQ(result->exit_code, 0) << result->err;
}

TEST_F(PfctlBinaryTest, ReloadPrintsWhatChanged) {
  pfd::v1::ReloadResponse response;
  response.add_added("api");
  response.add_added("cache");
  response.add_changed("web");
  response.add_unchanged("db");
  response.add_unchanged("queue");
  service_.setReloadAnswer(grpc::Status::OK, response);
  const ProcessResult result = run({"reload"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "added: api, cache\nchanged: web\nremoved: <none>\nunchanged: 2\n");
}

TEST_F(PfctlBinaryTest, ReloadOfABadConfigExitsOneWithTheServersMessage) {
  service_.setReloadAnswer(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   "/home/me/.config/pfd/forwards.yaml:7:5: unknown key \"prots\"; did you mean "
                   "\"ports\"?"),
      {});
  const ProcessResult result = run({"reload"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_EQ(result.err,
            "error: /home/me/.config/pfd/forwards.yaml:7:5: unknown key \"prots\"; did you mean "
            "\"ports\"?\n");
}

TEST_F(PfctlBinaryTest, VersionPrintsClientAndServer) {
  pfd::v1::GetVersionResponse version;
  version.set_version("9.8.7");
  version.set_pid(1234);
  version.set_config_path("/home/me/.config/pfd/forwards.yaml");
  version.set_socket_path(socket_path_);
  service_.setVersion(version);
  const ProcessResult result = run({"version"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(lines(result.out),
              ElementsAre(std::string("Client Version: ") + PFD_VERSION, "Server Version: 9.8.7",
                          "Server PID: 1234", "Config: /home/me/.config/pfd/forwards.yaml",
                          "Socket: " + socket_path_));
}

TEST_F(PfctlBinaryTest, VersionWithoutServerPrintsTheClientVersionAndExitsTwo) {
  const std::string missing = dir_.path() + "/missing.sock";
  const ProcessResult result = runArgv({kPfctl, "--socket", missing, "version"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, std::string("Client Version: ") + PFD_VERSION + "\n");
  EXPECT_THAT(lines(result.err), ElementsAre(StartsWith("pfctl: pfd is not running")));
}

}  // namespace
}  // namespace pfd::client
