#include "daemon/probe/http_prober.h"

#include <cstdlib>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/probe/blocking_http_server.h"
#include "tests/unit/probe/loopback_sockets.h"
#include "tests/unit/probe/test_loop.h"

namespace pfd::probe {
namespace {

using testing::BlockingHttpServer;
using ::testing::HasSubstr;
using testing::LoopbackSocket;
using ::testing::Not;
using testing::ResultRecorder;
using ::testing::SizeIs;
using testing::TestLoop;

core::ProbeSpec httpSpec(uint16_t port, std::string path = "/healthz",
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  core::ProbeSpec spec;
  spec.kind = core::ProbeSpec::Kind::kHttpGet;
  spec.port = port;
  spec.path = std::move(path);
  spec.timeout = timeout;
  return spec;
}

BlockingHttpServer::Response respond(int status, std::string reason) {
  BlockingHttpServer::Response response;
  response.status = status;
  response.reason = std::move(reason);
  return response;
}

class HttpProberTest : public ::testing::Test {
 protected:
  // Runs one probe to completion and checks that done ran once, later than run().
  ProbeResult probe(const core::ProbeSpec& spec) {
    ResultRecorder recorder;
    ProbeHandlePtr handle = prober_->run(spec, "127.0.0.1", recorder.callback());
    EXPECT_EQ(recorder.calls, 0) << "done ran inside run()";
    EXPECT_TRUE(loop_.runUntil([&] { return recorder.calls > 0; }));
    loop_.runUntilIdle();
    EXPECT_EQ(recorder.calls, 1);
    return recorder.result.value_or(ProbeResult{});
  }

  TestLoop loop_;
  std::unique_ptr<HttpProber> prober_ = std::make_unique<HttpProber>(loop_.dispatcher());
};

TEST_F(HttpProberTest, SucceedsOnHttp200) {
  BlockingHttpServer server(respond(200, "OK"));

  const auto before = std::chrono::steady_clock::now();
  ProbeResult result = probe(httpSpec(server.port()));
  const auto elapsed = std::chrono::steady_clock::now() - before;

  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.message, "HTTP 200");
  EXPECT_LE(result.latency, elapsed);
  EXPECT_EQ(result.local_address, "127.0.0.1") << "where the connection went out from";
}

// The latency covers the wait for the answer: a server that thinks for 50 ms shows at least that.
TEST_F(HttpProberTest, MeasuresTheLatencyUntilTheAnswer) {
  BlockingHttpServer server(respond(200, "OK"),
                            [] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); });

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_TRUE(result.success);
  EXPECT_GE(result.latency, std::chrono::milliseconds(50));
}

TEST_F(HttpProberTest, SendsAGetForThePathWithAProbeUserAgent) {
  BlockingHttpServer server(respond(200, "OK"));

  probe(httpSpec(server.port(), "/ready?full=1"));

  ASSERT_THAT(server.requests(), SizeIs(1));
  const std::string request = server.requests()[0];
  EXPECT_THAT(request, HasSubstr("GET /ready?full=1 HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr(absl::StrCat("Host: 127.0.0.1:", server.port(), "\r\n")));
  EXPECT_THAT(request, HasSubstr("User-Agent: pfd-probe/"));
}

TEST_F(HttpProberTest, AddsTheMissingLeadingSlashToThePath) {
  BlockingHttpServer server(respond(200, "OK"));

  probe(httpSpec(server.port(), "healthz"));

  ASSERT_THAT(server.requests(), SizeIs(1));
  EXPECT_THAT(server.requests()[0], HasSubstr("GET /healthz HTTP/1.1\r\n"));
}

TEST_F(HttpProberTest, FailsOnHttp500NamingThePath) {
  BlockingHttpServer server(respond(500, "Internal Server Error"));

  ProbeResult result = probe(httpSpec(server.port(), "/healthz"));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "HTTP 500 from /healthz");
}

TEST_F(HttpProberTest, FailsOnHttp404) {
  BlockingHttpServer server(respond(404, "Not Found"));

  ProbeResult result = probe(httpSpec(server.port(), "/missing"));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "HTTP 404 from /missing");
}

TEST_F(HttpProberTest, TreatsARedirectAsSuccessWithoutFollowingIt) {
  BlockingHttpServer::Response response = respond(302, "Found");
  response.headers.push_back("Location: /login");
  BlockingHttpServer server(response);

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.message, "HTTP 302");
  EXPECT_THAT(server.requests(), SizeIs(1));
}

TEST_F(HttpProberTest, SendsTheSpecHeadersAndLetsAHostHeaderReplaceTheHost) {
  BlockingHttpServer server(respond(200, "OK"));
  core::ProbeSpec spec = httpSpec(server.port());
  spec.headers = {{"Host", "web.example.test"}, {"X-Probe", "pfd"}, {"X-Empty", ""}};

  ProbeResult result = probe(spec);

  EXPECT_TRUE(result.success);
  ASSERT_THAT(server.requests(), SizeIs(1));
  const std::string request = server.requests()[0];
  EXPECT_THAT(request, HasSubstr("\r\nHost: web.example.test\r\n"));
  EXPECT_THAT(request, Not(HasSubstr("Host: 127.0.0.1")));
  EXPECT_THAT(request, HasSubstr("\r\nX-Probe: pfd\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nX-Empty:"));
}

TEST_F(HttpProberTest, ReportsATimeoutWhenTheServerNeverAnswers) {
  BlockingHttpServer::Response response;
  response.hang = true;
  BlockingHttpServer server(response);

  ProbeResult result = probe(httpSpec(server.port(), "/healthz", std::chrono::seconds(1)));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "timeout after 1s");
}

TEST_F(HttpProberTest, ReportsARefusedConnectionWithTheEndpoint) {
  LoopbackSocket closed_port;

  ProbeResult result = probe(httpSpec(closed_port.port()));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, absl::StrCat("connection refused on 127.0.0.1:", closed_port.port()));
}

TEST_F(HttpProberTest, ExplainsAConnectionClosedWithoutAnAnswer) {
  // What kubectl port-forward does when nothing in the pod listens on the remote port.
  BlockingHttpServer::Response response;
  response.close_silently = true;
  BlockingHttpServer server(response);

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, absl::StrCat("HTTP GET /healthz on 127.0.0.1:", server.port(),
                                         " failed: connection closed without a response"));
}

BlockingHttpServer::Response raw(std::string bytes) {
  BlockingHttpServer::Response response;
  response.raw = std::move(bytes);
  return response;
}

TEST_F(HttpProberTest, SkipsAnInterimResponse) {
  BlockingHttpServer server(
      raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"));

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_TRUE(result.success) << result.message;
  EXPECT_EQ(result.message, "HTTP 204");
}

TEST_F(HttpProberTest, ReadsAChunkedBodyToTheEndOfTheConnection) {
  BlockingHttpServer server(
      raw("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
          "4\r\nbusy\r\n0\r\n\r\n"));

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "HTTP 503 from /healthz");
}

TEST_F(HttpProberTest, AChunkedResponseOnAConnectionTheServerKeepsOpenEndsAtItsLastChunk) {
  BlockingHttpServer::Response response =
      raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  response.keep_open = true;
  BlockingHttpServer server(response);

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_TRUE(result.success) << result.message;
  EXPECT_EQ(result.message, "HTTP 200");
}

TEST_F(HttpProberTest, AcceptsAnHttp10ResponseWithBareLineFeeds) {
  BlockingHttpServer server(raw("HTTP/1.0 200 OK\nServer: tiny\n\nfine"));

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_TRUE(result.success) << result.message;
  EXPECT_EQ(result.message, "HTTP 200");
}

TEST_F(HttpProberTest, FailsOnSomethingThatIsNotHttp) {
  BlockingHttpServer server(raw("SSH-2.0-OpenSSH_9.2\r\n\r\n"));

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, absl::StrCat("HTTP GET /healthz on 127.0.0.1:", server.port(),
                                         " failed: not an HTTP response: \"SSH-2.0-OpenSSH_9.2\""));
}

TEST_F(HttpProberTest, FailsWhenTheBodyIsCutShort) {
  // The kubelet reads the body too: a connection lost halfway is a failed probe.
  BlockingHttpServer server(raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"));

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_FALSE(result.success);
  EXPECT_THAT(result.message, HasSubstr("failed: connection closed after 4 of 10 body bytes"));
}

TEST_F(HttpProberTest, ReachesAnIpv4ServerThroughLocalhost) {
  BlockingHttpServer server(respond(200, "OK"));
  ResultRecorder recorder;

  ProbeHandlePtr handle = prober_->run(httpSpec(server.port()), "localhost", recorder.callback());
  loop_.runUntilIdle();

  ASSERT_EQ(recorder.calls, 1);
  EXPECT_TRUE(recorder.result->success) << recorder.result->message;
}

TEST_F(HttpProberTest, IgnoresTheUsersHttpProxy) {
  BlockingHttpServer server(respond(200, "OK"));
  // A proxy that refuses everything: the probe only succeeds if it goes straight to the server.
  LoopbackSocket dead_proxy;
  const std::string proxy = absl::StrCat("http://127.0.0.1:", dead_proxy.port());
  ::setenv("http_proxy", proxy.c_str(), 1);
  ::setenv("HTTP_PROXY", proxy.c_str(), 1);

  ProbeResult result = probe(httpSpec(server.port()));
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");

  EXPECT_TRUE(result.success) << result.message;
  EXPECT_THAT(server.requests(), SizeIs(1));
}

TEST_F(HttpProberTest, StopsReadingALargeBodyAndStillReportsTheStatus) {
  BlockingHttpServer::Response response = respond(200, "OK");
  response.body = std::string(1024 * 1024, 'x');
  BlockingHttpServer server(response);

  ProbeResult result = probe(httpSpec(server.port()));

  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.message, "HTTP 200");
}

TEST_F(HttpProberTest, FailsOnTheLoopForAnUnsupportedScheme) {
  core::ProbeSpec spec = httpSpec(80);
  spec.scheme = "FTP";

  ProbeResult result = probe(spec);

  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.message, "unsupported scheme \"FTP\" in httpGet probe; use HTTP or HTTPS");
}

TEST_F(HttpProberTest, AcceptsTheSchemeInAnyCase) {
  BlockingHttpServer server(respond(200, "OK"));
  core::ProbeSpec spec = httpSpec(server.port());
  spec.scheme = "http";

  EXPECT_TRUE(probe(spec).success);
}

TEST_F(HttpProberTest, NeverCallsBackAfterTheHandleIsDestroyed) {
  BlockingHttpServer::Response response;
  response.hang = true;
  BlockingHttpServer server(response, [this] { loop_.wakeUp(); });
  ResultRecorder recorder;

  ProbeHandlePtr handle = prober_->run(httpSpec(server.port(), "/healthz", std::chrono::seconds(2)),
                                       "127.0.0.1", recorder.callback());
  // Cancel mid-transfer: the request reached the server, the answer never comes.
  ASSERT_TRUE(loop_.runUntil([&] { return !server.requests().empty(); }));
  handle.reset();
  loop_.runUntilIdle();

  EXPECT_EQ(recorder.calls, 0);
}

TEST_F(HttpProberTest, CancellingOneProbeLeavesTheOthersRunning) {
  BlockingHttpServer server(respond(200, "OK"));
  ResultRecorder cancelled;
  ResultRecorder kept;

  ProbeHandlePtr cancelled_probe =
      prober_->run(httpSpec(server.port()), "127.0.0.1", cancelled.callback());
  ProbeHandlePtr kept_probe = prober_->run(httpSpec(server.port()), "127.0.0.1", kept.callback());
  cancelled_probe.reset();
  loop_.runUntilIdle();

  EXPECT_EQ(cancelled.calls, 0);
  ASSERT_EQ(kept.calls, 1);
  EXPECT_TRUE(kept.result->success);
}

TEST_F(HttpProberTest, AllowsTheHandleToBeDestroyedInsideItsCallback) {
  BlockingHttpServer server(respond(200, "OK"));
  ProbeHandlePtr handle;
  int calls = 0;

  handle = prober_->run(httpSpec(server.port()), "127.0.0.1", [&](ProbeResult) {
    ++calls;
    handle.reset();
  });
  loop_.runUntilIdle();

  EXPECT_EQ(calls, 1);
}

// HTTPS transfers live on the prober's libcurl multi handle; plain-HTTP probes, like TCP ones,
// own their sockets and are cancelled through their handles only.
TEST_F(HttpProberTest, DestroyingTheProberInACallbackCancelsItsHttpsTransfers) {
  // Nobody accepts on `silent`, so the TLS handshake never ends; nothing listens on `closed`, so
  // that probe fails at once.
  LoopbackSocket silent;
  silent.listen(4);
  LoopbackSocket closed;
  ResultRecorder never;
  int calls = 0;

  // The refused probe must end first however slow the machine is (setting up TLS takes over a
  // second under ThreadSanitizer), so the hanging one's timeout is far beyond it; the test does
  // not wait for it: destroying the prober cancels it.
  core::ProbeSpec hanging_spec = httpSpec(silent.port(), "/healthz", std::chrono::seconds(50));
  hanging_spec.scheme = "HTTPS";
  core::ProbeSpec refused_spec = httpSpec(closed.port());
  refused_spec.scheme = "HTTPS";
  ProbeHandlePtr hanging_probe = prober_->run(hanging_spec, "127.0.0.1", never.callback());
  ProbeHandlePtr refused_probe = prober_->run(refused_spec, "127.0.0.1", [&](ProbeResult) {
    ++calls;
    prober_.reset();
  });
  loop_.runUntilIdle();
  // Both handles outlive the prober; destroying them afterwards must be harmless.
  hanging_probe.reset();
  refused_probe.reset();

  EXPECT_EQ(calls, 1);
  EXPECT_EQ(never.calls, 0);
}

}  // namespace
}  // namespace pfd::probe
