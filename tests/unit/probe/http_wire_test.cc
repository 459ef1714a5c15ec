#include "daemon/probe/http_wire.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::probe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Progress = HttpResponseReader::Progress;

core::ProbeSpec specWithHeaders(std::vector<core::HttpHeader> headers) {
  core::ProbeSpec spec;
  spec.kind = core::ProbeSpec::Kind::kHttpGet;
  spec.path = "/healthz";
  spec.headers = std::move(headers);
  return spec;
}

TEST(RequestTargetTest, AddsTheLeadingSlashAndEncodesWhatARequestLineCannotCarry) {
  EXPECT_EQ(requestTarget("healthz"), "/healthz");
  EXPECT_EQ(requestTarget("/ready?full=1"), "/ready?full=1");
  EXPECT_EQ(requestTarget("/a b\r\n"), "/a%20b%0D%0A");
  EXPECT_EQ(requestTarget("/caf\xc3\xa9"), "/caf%C3%A9");
}

TEST(ProbeRequestTest, IsAClosingGetWithHostAgentAndAccept) {
  const std::string request = probeRequest(specWithHeaders({}), "127.0.0.1:8080");
  EXPECT_EQ(request,
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: pfd-probe/" PFD_VERSION
            "\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

TEST(ProbeRequestTest, SpecHeadersReplaceTheDefaultsAndKeepTheirOrder) {
  const std::string request = probeRequest(specWithHeaders({{"X-One", "1"},
                                                            {"host", "api.local"},
                                                            {"User-Agent", "kube-probe/1.32"},
                                                            {"X-Empty", ""},
                                                            {"X-One", "again"}}),
                                           "127.0.0.1:8080");
  EXPECT_THAT(request, HasSubstr("GET /healthz HTTP/1.1\r\nHost: api.local\r\n"));
  EXPECT_THAT(request, Not(HasSubstr("127.0.0.1")));
  EXPECT_THAT(request, Not(HasSubstr("pfd-probe")));
  EXPECT_THAT(request, HasSubstr("Accept: */*\r\n"));
  EXPECT_THAT(request, HasSubstr("X-One: 1\r\nUser-Agent: kube-probe/1.32\r\nX-Empty: \r\n"
                                 "X-One: again\r\n\r\n"));
}

TEST(HttpResponseReaderTest, DoneOnceTheContentLengthIsRead) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.1 200 OK\r\nContent-Len"), Progress::kNeedMore);
  EXPECT_EQ(reader.feed("gth: 4\r\n\r\nok"), Progress::kNeedMore);
  EXPECT_EQ(reader.status(), 200);
  EXPECT_EQ(reader.feed("!!"), Progress::kDone);
}

TEST(HttpResponseReaderTest, ABodyWithoutALengthEndsWithTheConnection) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.0 500 Oops\r\n\r\nsomething broke"), Progress::kNeedMore);
  EXPECT_EQ(reader.endOfStream(), Progress::kDone);
  EXPECT_EQ(reader.status(), 500);
}

TEST(HttpResponseReaderTest, ChunkedBodiesIgnoreAContentLength) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"
                        "\r\n2\r\nok\r\n0\r\n\r\n"),
            Progress::kNeedMore);
  EXPECT_EQ(reader.endOfStream(), Progress::kDone);
}

TEST(HttpResponseReaderTest, StopsAtTheBodyCap) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.1 200 OK\r\n\r\n"), Progress::kNeedMore);
  EXPECT_EQ(reader.feed(std::string(HttpResponseReader::kMaxBodyBytes - 1, 'x')),
            Progress::kNeedMore);
  EXPECT_EQ(reader.feed("x"), Progress::kDone);
}

TEST(HttpResponseReaderTest, ResponsesWithoutABodyAreDoneAtTheirHead) {
  for (const char* head : {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n",
                           "HTTP/1.1 101 Switching Protocols\r\n\r\n"}) {
    HttpResponseReader reader;
    EXPECT_EQ(reader.feed(head), Progress::kDone) << head;
  }
}

TEST(HttpResponseReaderTest, SkipsInterimResponsesEvenWhenSplitAcrossReads) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 10"), Progress::kNeedMore);
  EXPECT_FALSE(reader.status().has_value());
  EXPECT_EQ(reader.feed("2 Processing\r\n\r\nHTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"),
            Progress::kDone);
  EXPECT_EQ(reader.status(), 302);
}

TEST(HttpResponseReaderTest, ExplainsWhatWentWrong) {
  struct Case {
    std::string bytes;
    bool close;
    std::string error;
  };
  const Case cases[] = {
      {"", true, "connection closed without a response"},
      {"HTTP/1.1 200 OK\r\nServer: x", true,
       "connection closed in the middle of the response headers"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", true,
       "connection closed after 4 of 10 body bytes"},
      {"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n", false, "invalid Content-Length \"lots\""},
      {"HTTP/1.1 2000 OK\r\n\r\n", false, "not an HTTP response: \"HTTP/1.1 2000 OK\""},
      {"\x16\x03\x01\n\n", false, "not an HTTP response: \"\\x16\\x03\\x01\""},
      {std::string(HttpResponseReader::kMaxHeadBytes + 1, 'h'), false,
       "response headers longer than 16 KiB"},
  };
  for (const Case& c : cases) {
    HttpResponseReader reader;
    Progress progress = reader.feed(c.bytes);
    if (c.close) {
      ASSERT_EQ(progress, Progress::kNeedMore) << c.error;
      progress = reader.endOfStream();
    }
    EXPECT_EQ(progress, Progress::kFailed) << c.error;
    EXPECT_EQ(reader.error(), c.error);
    EXPECT_FALSE(reader.status().has_value());
  }
}

}  // namespace
}  // namespace pfd::probe
