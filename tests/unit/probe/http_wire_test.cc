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

TEST(HttpResponseReaderTest, AChunkedBodyIsDoneAtItsLastChunkAndIgnoresAContentLength) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"
                        "\r\n2\r\nok\r\n0\r\n\r\n"),
            Progress::kDone)
      << "a server that keeps the connection open must not hold the probe to its timeout";
  EXPECT_EQ(reader.status(), 200);
}

TEST(HttpResponseReaderTest, AChunkedBodyMaySplitAnywhereAndCarryExtensionsAndTrailers) {
  const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "A;name=value\r\n0123456789\r\n1\r\nx\r\n0\r\nChecksum: 42\r\n\r\n";
  for (size_t split = 0; split <= response.size(); ++split) {
    HttpResponseReader reader;
    Progress first = reader.feed(absl::string_view(response).substr(0, split));
    Progress last =
        split < response.size() ? reader.feed(absl::string_view(response).substr(split)) : first;
    if (split < response.size()) {
      EXPECT_EQ(first, Progress::kNeedMore) << "split at " << split;
    }
    EXPECT_EQ(last, Progress::kDone) << "split at " << split;
    EXPECT_EQ(reader.status(), 503);
  }
}

TEST(HttpResponseReaderTest, ALongChunkedBodyStopsAtTheBodyCap) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n"),
            Progress::kNeedMore);
  EXPECT_EQ(reader.feed(std::string(HttpResponseReader::kMaxBodyBytes, 'x')), Progress::kDone);
}

TEST(HttpResponseReaderTest, AnotherTransferCodingEndsWithTheConnection) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n"),
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

// Found by tests/fuzz/http_response_fuzzer: a head over the cap passed when it came in one read.
TEST(HttpResponseReaderTest, TheHeadCapHoldsHoweverTheBytesArrive) {
  const size_t cap = HttpResponseReader::kMaxHeadBytes;
  const std::string too_long = "HTTP/1.1 200 OK\r\nX: " + std::string(cap, 'a') + "\r\n\r\n";
  HttpResponseReader whole;
  EXPECT_EQ(whole.feed(too_long), Progress::kFailed);
  EXPECT_EQ(whole.error(), "response headers longer than 16 KiB");
  HttpResponseReader split;
  EXPECT_EQ(split.feed(absl::string_view(too_long).substr(0, cap + 10)), Progress::kFailed);

  // A head that ends right at the cap fits, even when its blank line is cut after the cap.
  const std::string at_cap = "HTTP/1.1 204 No Content\r\nX: " + std::string(cap - 28, 'a');
  ASSERT_EQ(at_cap.size(), cap);
  for (size_t cut = cap; cut <= cap + 4; ++cut) {
    const std::string bytes = at_cap + "\r\n\r\n";
    HttpResponseReader reader;
    Progress progress = reader.feed(absl::string_view(bytes).substr(0, cut));
    if (progress == Progress::kNeedMore) {
      progress = reader.feed(absl::string_view(bytes).substr(cut));
    }
    EXPECT_EQ(progress, Progress::kDone) << "cut at " << cut;
  }
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
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhal", true,
       "connection closed in the middle of a chunked body"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
       "invalid chunk size \"zz\""},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokay\r\n", false,
       "malformed chunked body: no line end after a chunk"},
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
