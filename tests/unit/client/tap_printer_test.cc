// pfctl tap prints what it is sent the way socat -v and socat -x show traffic.
#include "client/render/tap_printer.h"

#include <sstream>
#include <string>

#include "absl/time/time.h"
#include "client/render/proto_time.h"
#include "gtest/gtest.h"

namespace pfd::client {
namespace {

v1::TapEvent chunk(const std::string& data, v1::TapDirection direction, uint64_t offset = 0,
                   uint64_t length = 0) {
  v1::TapEvent event;
  v1::TapChunk* out = event.mutable_chunk();
  out->set_connection(3);
  out->set_peer("127.0.0.1:54321");
  out->set_direction(direction);
  toProto(absl::FromUnixMicros(1796304496172097), out->mutable_time());
  out->set_offset(offset);
  out->set_length(length == 0 ? data.size() : length);
  out->set_data(data);
  return event;
}

std::string printed(const v1::TapEvent& event, bool hex = false) {
  std::ostringstream out;
  TapPrinter printer(out, TapPrintOptions{.hex = hex, .zone = absl::UTCTimeZone()});
  printer.print(event);
  return out.str();
}

TEST(TapPrinterTest, TextChunksLookLikeSocatVerbose) {
  EXPECT_EQ(printed(chunk("GET / HTTP/1.1\r\nHost: a\r\n\r\n", v1::TAP_DIRECTION_TO_UPSTREAM)),
            "> 2026/12/03 13:28:16.172097  length=27 from=0 to=26  #3 127.0.0.1:54321\n"
            "GET / HTTP/1.1\\r\n"
            "Host: a\\r\n"
            "\\r\n");
}

TEST(TapPrinterTest, UnprintableBytesAreEscapedAndTheChunkEndsItsLine) {
  EXPECT_EQ(printed(chunk(std::string("a\\b\x01\xff\tc", 7), v1::TAP_DIRECTION_TO_CLIENT, 10)),
            "< 2026/12/03 13:28:16.172097  length=7 from=10 to=16  #3 127.0.0.1:54321\n"
            "a\\\\b\\x01\\xff\tc\n");
}

TEST(TapPrinterTest, HexDumpsLikeSocatX) {
  std::string data;
  for (int i = 0; i < 18; ++i) {
    data += static_cast<char>(0x40 + i);
  }
  data[1] = '\n';
  EXPECT_EQ(printed(chunk(data, v1::TAP_DIRECTION_TO_UPSTREAM), /*hex=*/true),
            "> 2026/12/03 13:28:16.172097  length=18 from=0 to=17  #3 127.0.0.1:54321\n"
            " 40 0a 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f  @.BCDEFGHIJKLMNO\n"
            " 50 51                                            PQ\n"
            "--\n");
}

TEST(TapPrinterTest, ATruncatedChunkSaysHowMuchIsNotShown) {
  EXPECT_EQ(printed(chunk("abc", v1::TAP_DIRECTION_TO_UPSTREAM, 0, 1000)),
            "> 2026/12/03 13:28:16.172097  length=1000 from=0 to=999  #3 127.0.0.1:54321\n"
            "abc\n"
            "… 997 more bytes not shown (--max-bytes 3)\n");
}

TEST(TapPrinterTest, ConnectionLines) {
  v1::TapEvent opened;
  opened.mutable_connection()->set_connection(3);
  opened.mutable_connection()->set_peer("127.0.0.1:54321");
  opened.mutable_connection()->set_local_port(8080);
  toProto(absl::FromUnixMicros(1796304496172097), opened.mutable_connection()->mutable_time());
  EXPECT_EQ(printed(opened), "* 2026/12/03 13:28:16.172097  #3 127.0.0.1:54321 -> :8080 opened\n");

  v1::TapEvent closed = opened;
  closed.mutable_connection()->set_closed(true);
  closed.mutable_connection()->set_bytes_in(356);
  closed.mutable_connection()->set_bytes_out(1024);
  toProto(absl::Milliseconds(1500), closed.mutable_connection()->mutable_duration());
  closed.mutable_connection()->set_reason("closed");
  EXPECT_EQ(printed(closed),
            "* 2026/12/03 13:28:16.172097  #3 127.0.0.1:54321 -> :8080 closed after 1.5s: "
            "356 bytes in, 1024 bytes out (closed)\n");
}

TEST(TapPrinterTest, DroppedEventsAreCountedWithTheirSize) {
  v1::TapEvent dropped;
  dropped.mutable_dropped()->set_chunks(12);
  dropped.mutable_dropped()->set_bytes(48 * 1024);
  EXPECT_EQ(printed(dropped), "… 12 chunks (48 KiB) dropped: tap too slow\n");
  dropped.mutable_dropped()->set_connection_events(1);
  EXPECT_EQ(printed(dropped),
            "… 12 chunks (48 KiB) and 1 connection event dropped: tap too slow\n");
}

TEST(TapPrinterTest, ByteSizes) {
  EXPECT_EQ(formatByteSize(512), "512 B");
  EXPECT_EQ(formatByteSize(1536), "1.5 KiB");
  EXPECT_EQ(formatByteSize(uint64_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace pfd::client
