#include "client/render/tap_printer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/render/duration_format.h"
#include "client/render/proto_time.h"

namespace pfd::client {
namespace {

bool printable(unsigned char byte) { return byte >= 0x20 && byte < 0x7f; }

}  // namespace

std::string formatByteSize(uint64_t bytes) {
  constexpr uint64_t kKiB = 1024;
  constexpr uint64_t kMiB = kKiB * 1024;
  constexpr uint64_t kGiB = kMiB * 1024;
  if (bytes < kKiB) {
    return absl::StrCat(bytes, " B");
  }
  const auto scaled = [bytes](uint64_t unit, const char* name) {
    const double value = static_cast<double>(bytes) / static_cast<double>(unit);
    return value < 10 ? absl::StrFormat("%.1f %s", value, name)
                      : absl::StrFormat("%.0f %s", value, name);
  };
  if (bytes < kMiB) {
    return scaled(kKiB, "KiB");
  }
  if (bytes < kGiB) {
    return scaled(kMiB, "MiB");
  }
  return scaled(kGiB, "GiB");
}

std::string TapPrinter::time(const google::protobuf::Timestamp& timestamp) const {
  return absl::FormatTime("%Y/%m/%d %H:%M:%E6S", fromProto(timestamp), options_.zone);
}

void TapPrinter::print(const v1::TapMessage& message) {
  for (const v1::TapEvent& event : message.events()) {
    print(event);
  }
}

void TapPrinter::print(const v1::TapEvent& event) {
  switch (event.event_case()) {
    case v1::TapEvent::kChunk:
      printChunk(event.chunk());
      return;
    case v1::TapEvent::kConnection:
      printConnection(event.connection());
      return;
    case v1::TapEvent::kDropped:
      printDropped(event.dropped());
      return;
    case v1::TapEvent::EVENT_NOT_SET:
      return;
  }
}

void TapPrinter::printChunk(const v1::TapChunk& chunk) {
  const char arrow = chunk.direction() == v1::TAP_DIRECTION_TO_CLIENT ? '<' : '>';
  // socat's header, then the connection (several may interleave).
  out_ << arrow << ' ' << time(chunk.time()) << "  length=" << chunk.length()
       << " from=" << chunk.offset() << " to=" << chunk.offset() + chunk.length() - 1 << "  #"
       << chunk.connection() << ' ' << chunk.peer() << '\n';
  if (options_.hex) {
    printHex(chunk.data());
  } else {
    printText(chunk.data());
  }
  if (chunk.data().size() < chunk.length()) {
    out_ << "… " << chunk.length() - chunk.data().size() << " more bytes not shown (--max-bytes "
         << chunk.data().size() << ")\n";
  }
  if (options_.hex) {
    out_ << "--\n";
  }
}

void TapPrinter::printText(absl::string_view data) {
  std::string text;
  text.reserve(data.size() + 16);
  for (const char c : data) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      text += '\n';
    } else if (c == '\r') {
      text += "\\r";
    } else if (c == '\\') {
      text += "\\\\";
    } else if (c == '\t' || printable(byte)) {
      text += c;
    } else {
      absl::StrAppendFormat(&text, "\\x%02x", byte);
    }
  }
  if (!text.empty() && text.back() != '\n') {
    text += '\n';  // the next header starts on a line of its own
  }
  out_ << text;
}

void TapPrinter::printHex(absl::string_view data) {
  constexpr size_t kPerLine = 16;
  for (size_t start = 0; start < data.size(); start += kPerLine) {
    const absl::string_view line = data.substr(start, kPerLine);
    std::string hex;
    std::string ascii;
    for (const char c : line) {
      const auto byte = static_cast<unsigned char>(c);
      absl::StrAppendFormat(&hex, " %02x", byte);
      ascii += printable(byte) ? c : '.';
    }
    hex.resize(kPerLine * 3, ' ');
    out_ << hex << "  " << ascii << '\n';
  }
}

void TapPrinter::printConnection(const v1::TapConnection& connection) {
  out_ << "* " << time(connection.time()) << "  #" << connection.connection() << ' '
       << connection.peer() << " -> :" << connection.local_port();
  if (!connection.closed()) {
    out_ << " opened\n";
    return;
  }
  out_ << " closed after " << formatLatency(fromProto(connection.duration())) << ": "
       << connection.bytes_in() << " bytes in, " << connection.bytes_out() << " bytes out ("
       << connection.reason() << ")\n";
}

void TapPrinter::printDropped(const v1::TapDropped& dropped) {
  out_ << "… ";
  if (dropped.chunks() > 0) {
    out_ << dropped.chunks() << (dropped.chunks() == 1 ? " chunk (" : " chunks (")
         << formatByteSize(dropped.bytes()) << ")";
  }
  if (dropped.connection_events() > 0) {
    out_ << (dropped.chunks() > 0 ? " and " : "") << dropped.connection_events()
         << (dropped.connection_events() == 1 ? " connection event" : " connection events");
  }
  out_ << " dropped: tap too slow\n";
}

}  // namespace pfd::client
