#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "daemon/probe/http_prober.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/probe/test_loop.h"
#include "tests/unit/probe/test_subprocess.h"

namespace pfd::probe {
namespace {

using testing::ResultRecorder;
using testing::TestLoop;
using testing::TestSubprocess;

// A self-signed certificate made for this test run, and a TLS server (a Python subprocess)
// that uses it. Shared by the tests of the suite: generating an RSA key is the slow part.
class HttpsProberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pfd-probe-tls-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return;
    }
    directory_ = new std::string(pattern);
    const std::string cert = *directory_ + "/cert.pem";
    const std::string key = *directory_ + "/key.pem";
    if (TestSubprocess::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                             "-subj", "/CN=localhost", "-days", "1", "-keyout", key, "-out",
                             cert}) != 0) {
      return;
    }
    server_ = new TestSubprocess({"/usr/bin/python3", PFD_PROBE_HTTPS_SERVER, cert, key});
    // The server prints its port once it listens.
    std::optional<std::string> line = server_->readLine(std::chrono::seconds(30));
    int port = 0;
    if (line && absl::SimpleAtoi(*line, &port)) {
      port_ = static_cast<uint16_t>(port);
    }
  }

  static void TearDownTestSuite() {
    delete server_;  // stops it by PID
    server_ = nullptr;
    if (directory_ != nullptr) {
      std::filesystem::remove_all(*directory_);
      delete directory_;
      directory_ = nullptr;
    }
  }

  void SetUp() override {
    ASSERT_NE(port_, 0) << "the TLS test server did not start (needs /usr/bin/openssl and "
                           "/usr/bin/python3)";
  }

  ProbeResult probe() {
    core::ProbeSpec spec;
    spec.kind = core::ProbeSpec::Kind::kHttpGet;
    spec.scheme = "HTTPS";
    spec.port = port_;
    spec.path = "/healthz";
    spec.timeout = std::chrono::seconds(10);
    ResultRecorder recorder;
    ProbeHandlePtr handle = prober_.run(spec, "127.0.0.1", recorder.callback());
    EXPECT_TRUE(loop_.runUntil([&] { return recorder.calls > 0; }));
    loop_.runUntilIdle();
    EXPECT_EQ(recorder.calls, 1);
    return recorder.result.value_or(ProbeResult{});
  }

  static std::string* directory_;
  static TestSubprocess* server_;
  static uint16_t port_;

  TestLoop loop_;
  HttpProber prober_{loop_.dispatcher()};
};

std::string* HttpsProberTest::directory_ = nullptr;
TestSubprocess* HttpsProberTest::server_ = nullptr;
uint16_t HttpsProberTest::port_ = 0;

// The kubelet never verifies a probe's certificate; a self-signed one for another name passes.
TEST_F(HttpsProberTest, AcceptsASelfSignedCertificateAsTheKubeletDoes) {
  ProbeResult result = probe();

  EXPECT_TRUE(result.success) << result.message;
  EXPECT_EQ(result.message, "HTTP 200");
  EXPECT_EQ(result.local_address, "127.0.0.1") << "where the connection went out from";
}

}  // namespace
}  // namespace pfd::probe
