// The production cluster check: the server's address read once, a GET of /readyz straight from
// pfd while the server is away (nothing forked), kubectl only when the server answers but not to
// anonymous requests.
#include "daemon/core/api_server_check.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_prober.h"
#include "tests/fakes/fake_process_launcher.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseApiServerUrlTest, ReadsSchemeHostPortAndPrefix) {
  auto https = parseApiServerUrl("https://10.0.0.1:6443");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->scheme, "https");
  EXPECT_EQ(https->host, "10.0.0.1");
  EXPECT_EQ(https->port, 6443);
  EXPECT_EQ(https->path_prefix, "");

  auto named = parseApiServerUrl("https://k8s.example.com/clusters/dev/");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->host, "k8s.example.com");
  EXPECT_EQ(named->port, 443);
  EXPECT_EQ(named->path_prefix, "/clusters/dev");

  auto v6 = parseApiServerUrl("http://[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(parseApiServerUrl("HTTP://127.0.0.1")->port, 80);
}

TEST(ParseApiServerUrlTest, RefusesWhatIsNotAnHttpUrl) {
  for (const char* bad : {"", "127.0.0.1:6443", "unix:///run/k8s.sock", "https://:6443",
                          "https://host:0", "https://host:99999", "https://[::1", "https://h:x"}) {
    EXPECT_FALSE(parseApiServerUrl(bad).ok()) << bad;
  }
}

class ApiServerCheckerTest : public ::testing::Test {
 protected:
  ClusterKey key() { return ClusterKey{.kubectl = "kubectl", .context = "kind-dev"}; }
  void check() {
    result_.reset();
    handle_ = checker_.check(key(), [this](ClusterCheckResult result) { result_ = result; });
  }
  // The running kubectl prints `out` and exits with `code`.
  void finish(const std::string& out, int code, const std::string& error = "") {
    auto child = launcher_.last();
    if (!out.empty()) {
      child->print(out);
    }
    if (!error.empty()) {
      child->printError(error);
    }
    child->exit(code);
    dispatcher_.runPosted();
  }

  testing::SimulatedDispatcher dispatcher_;
  testing::FakeProcessLauncher launcher_{dispatcher_};
  testing::FakeProber prober_;
  ApiServerChecker checker_{dispatcher_, launcher_, prober_, ApiServerChecker::Options{}};
  ClusterCheckPtr handle_;
  std::optional<ClusterCheckResult> result_;
};

TEST_F(ApiServerCheckerTest, ReadsTheAddressOnceThenOnlyProbes) {
  check();
  ASSERT_EQ(launcher_.spawnCount(), 1u);
  EXPECT_THAT(launcher_.last()->spec.argv,
              ElementsAre("kubectl", "config", "view", "--minify", "-o", ::testing::_, "--context",
                          "kind-dev"));
  launcher_.last()->print("kind-dev");
  finish("https://127.0.0.1:6443", 0);
  ASSERT_EQ(prober_.pending().size(), 1u);
  const auto& probe = *prober_.pending()[0];
  EXPECT_EQ(probe.address, "127.0.0.1");
  EXPECT_EQ(probe.spec.port, 6443);
  EXPECT_EQ(probe.spec.path, "/readyz");
  EXPECT_EQ(probe.spec.scheme, "HTTPS");
  prober_.completeAll(testing::probeFailure("connection refused on 127.0.0.1:6443"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_FALSE(result_->up);
  EXPECT_EQ(result_->reason, "connection refused on 127.0.0.1:6443");
  EXPECT_EQ(result_->context, "kind-dev");
  EXPECT_FALSE(result_->used_kubectl);

  for (int i = 0; i < 10; ++i) {
    check();
    prober_.completeAll(testing::probeFailure("timeout after 1s"));
    ASSERT_TRUE(result_.has_value());
    EXPECT_FALSE(result_->up);
  }
  check();
  probe::ProbeResult answered = testing::probeSuccess("HTTP 200");
  answered.local_address = "10.8.0.2";
  prober_.completeAll(answered);
  EXPECT_TRUE(result_->up);
  EXPECT_EQ(result_->local_address, "10.8.0.2") << "a network change compares it";
  EXPECT_EQ(launcher_.spawnCount(), 1u) << "no kubectl while the server refuses or hangs";
}

TEST_F(ApiServerCheckerTest, A5xxIsDownWithoutKubectl) {
  check();
  finish("kind-dev\nhttps://127.0.0.1:6443", 0);
  prober_.completeAll(testing::probeFailure("HTTP 503 from /readyz"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_FALSE(result_->up);
  EXPECT_THAT(result_->reason, HasSubstr("HTTP 503"));
  EXPECT_EQ(launcher_.spawnCount(), 1u);
}

TEST_F(ApiServerCheckerTest, AServerThatRefusesAnonymousRequestsIsAskedWithKubectl) {
  check();
  finish("kind-dev\nhttps://127.0.0.1:6443", 0);
  prober_.completeAll(testing::probeFailure("HTTP 401 from /readyz"));
  EXPECT_FALSE(result_.has_value());
  ASSERT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_THAT(launcher_.last()->spec.argv,
              ElementsAre("kubectl", "get", "--raw", "/readyz", "--request-timeout=2s", "--context",
                          "kind-dev"));
  finish("", 1, "error: You must be logged in to the server (Unauthorized)");
  ASSERT_TRUE(result_.has_value());
  EXPECT_FALSE(result_->up);
  EXPECT_THAT(result_->reason, HasSubstr("Unauthorized"));
  EXPECT_TRUE(result_->used_kubectl);

  check();
  prober_.completeAll(testing::probeFailure("HTTP 401 from /readyz"));
  finish("ok", 0);
  EXPECT_TRUE(result_->up);
}

TEST_F(ApiServerCheckerTest, APlainHttpServerByNameIsLeftToKubectl) {
  check();
  finish("dev\nhttp://api.internal:8080", 0);
  EXPECT_TRUE(prober_.pending().empty());
  ASSERT_EQ(launcher_.spawnCount(), 2u);
  EXPECT_EQ(launcher_.last()->spec.argv[1], "get");
  finish("ok", 0);
  EXPECT_TRUE(result_->up);
}

TEST_F(ApiServerCheckerTest, ACancelledCheckNeverAnswers) {
  check();
  finish("kind-dev\nhttp://127.0.0.1:6443", 0);
  handle_.reset();
  prober_.completeAll(testing::probeSuccess());
  EXPECT_FALSE(result_.has_value());
}

}  // namespace
}  // namespace pfd::core
