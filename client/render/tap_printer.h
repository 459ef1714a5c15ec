#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pfd/v1/control.pb.h"

namespace pfd::client {

struct TapPrintOptions {
  bool hex = false;  // -x: a hex dump of each chunk, as socat -x prints it
  absl::TimeZone zone = absl::LocalTimeZone();
};

// Prints a tap's events the way `socat -v` shows what passes through it, so that people who know
// socat read it at once:
//
//   > 2026/12/03 13:18:16.172097  length=18 from=0 to=17  #3 127.0.0.1:54321
//   GET / HTTP/1.1\r
//   \r
//
// ">" is client -> pod, "<" pod -> client; from/to are offsets in that direction's stream. The
// bytes follow with \r shown and other unprintable bytes escaped (\xHH, and \\ for a backslash), or
// as a hex dump. Connection lines start with "*"; dropped events with "…".
class TapPrinter {
 public:
  TapPrinter(std::ostream& out, TapPrintOptions options) : out_(out), options_(options) {}

  void print(const v1::TapMessage& message);
  void print(const v1::TapEvent& event);

 private:
  void printChunk(const v1::TapChunk& chunk);
  void printConnection(const v1::TapConnection& connection);
  void printDropped(const v1::TapDropped& dropped);
  void printText(absl::string_view data);
  void printHex(absl::string_view data);
  std::string time(const google::protobuf::Timestamp& timestamp) const;

  std::ostream& out_;
  TapPrintOptions options_;
};

// "48 KiB", "3.5 MiB", "512 B".
std::string formatByteSize(uint64_t bytes);

}  // namespace pfd::client
