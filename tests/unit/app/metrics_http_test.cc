#include "daemon/app/metrics_http.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::app {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string page() { return "pfd_x 1\n"; }

TEST(MetricsHttpTest, GetMetricsAnswersTheTextFormat) {
  const std::string response =
      MetricsHttp::respond("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", page);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response,
              HasSubstr("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nContent-Length: 8\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(response, EndsWith("\r\n\r\npfd_x 1\n"));
}

TEST(MetricsHttpTest, AQueryStringAndHttp10AreFine) {
  EXPECT_THAT(MetricsHttp::respond("GET /metrics?name[]=x HTTP/1.0\n\n", page),
              StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(MetricsHttpTest, OtherPathsAre404) {
  int renders = 0;
  auto counting = [&renders] {
    renders++;
    return std::string();
  };
  EXPECT_THAT(MetricsHttp::respond("GET / HTTP/1.1\r\n\r\n", counting),
              StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(MetricsHttp::respond("GET /metricsx HTTP/1.1\r\n\r\n", counting),
              StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_EQ(renders, 0) << "only a 200 renders the page";
}

TEST(MetricsHttpTest, OtherMethodsAre405WithAllow) {
  const std::string response = MetricsHttp::respond("POST /metrics HTTP/1.1\r\n\r\n", page);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nAllow: GET\r\n"));
}

TEST(MetricsHttpTest, GarbageIs400) {
  for (const char* head :
       {"hello\r\n\r\n", "GET /metrics\r\n\r\n", "GET /metrics FTP/1.0\r\n\r\n",
        "G@T /metrics HTTP/1.1\r\n\r\n", "\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n"}) {
    EXPECT_THAT(MetricsHttp::respond(head, page), StartsWith("HTTP/1.1 400 Bad Request\r\n"))
        << head;
  }
}

TEST(MetricsHttpTest, TheHeadEndsAtTheBlankLine) {
  EXPECT_EQ(MetricsHttp::headEnd("GET /metrics HTTP/1.1\r\nHost: x\r\n"), std::nullopt);
  EXPECT_EQ(MetricsHttp::headEnd("GET / HTTP/1.1\r\n\r\nextra"), 18u);
  EXPECT_EQ(MetricsHttp::headEnd("GET / HTTP/1.1\n\n"), 16u);
}

}  // namespace
}  // namespace pfd::app
