#include "daemon/config/metrics_parser.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/status_macros.h"

namespace pfd::config {
namespace {

constexpr absl::string_view kAddressHint =
    "write HOST:PORT with an IP address or localhost, e.g. 127.0.0.1:9469 or [::1]:9469";

// The IP literal's canonical spelling, or nullopt.
std::optional<std::string> canonicalIp(const std::string& text) {
  std::array<unsigned char, sizeof(in6_addr)> binary{};
  std::array<char, INET6_ADDRSTRLEN> canonical{};
  const int family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (text.empty() || inet_pton(family, text.c_str(), binary.data()) != 1 ||
      inet_ntop(family, binary.data(), canonical.data(), canonical.size()) == nullptr) {
    return std::nullopt;
  }
  return std::string(canonical.data());
}

}  // namespace

absl::StatusOr<MetricsAddress> parseMetricsAddress(absl::string_view text) {
  const std::string written(absl::StripAsciiWhitespace(text));
  if (written.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("is empty; ", kAddressHint));
  }
  std::string host = written;
  std::optional<std::string> port_text;
  if (written.front() == '[') {
    const size_t close = written.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", written, "\" has no closing \"]\"; ", kAddressHint));
    }
    host = written.substr(1, close - 1);
    const std::string rest = written.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", written, "\": expected \":PORT\" after \"]\"; ", kAddressHint));
      }
      port_text = rest.substr(1);
    }
  } else if (const size_t colon = written.find(':');
             colon != std::string::npos && written.find(':', colon + 1) == std::string::npos) {
    host = written.substr(0, colon);
    port_text = written.substr(colon + 1);
  }
  MetricsAddress address;
  if (port_text.has_value()) {
    int port = 0;
    if (!absl::SimpleAtoi(*port_text, &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("\"", written, "\": port \"", *port_text,
                                                     "\" is not a number from 1 to 65535; ",
                                                     kAddressHint));
    }
    address.port = static_cast<uint16_t>(port);
  }
  if (host == "localhost") {
    address.host = "127.0.0.1";
    return address;
  }
  std::optional<std::string> canonical = canonicalIp(host);
  if (!canonical.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", host, "\" is not an IP address or ",
                     "localhost (IPv6 goes in brackets: [::1]:9469); ", kAddressHint));
  }
  address.host = *std::move(canonical);
  return address;
}

bool isLoopbackHost(absl::string_view host) {
  const std::string text(host);
  if (text.find(':') == std::string::npos) {
    in_addr ipv4{};
    return inet_pton(AF_INET, text.c_str(), &ipv4) == 1 && (ntohl(ipv4.s_addr) >> 24) == 127;
  }
  in6_addr ipv6{};
  if (inet_pton(AF_INET6, text.c_str(), &ipv6) != 1) {
    return false;
  }
  if (IN6_IS_ADDR_LOOPBACK(&ipv6)) {
    return true;
  }
  return IN6_IS_ADDR_V4MAPPED(&ipv6) && ipv6.s6_addr[12] == 127;
}

absl::StatusOr<MetricsConfig> parseMetrics(const MappingReader& metrics) {
  MetricsConfig config;
  PFD_RETURN_IF_ERROR(metrics.readBool("allowRemote", config.allow_remote));
  if (!metrics.has("address")) {
    return config;
  }
  std::string written;
  PFD_RETURN_IF_ERROR(metrics.readNonEmptyString("address", written));
  absl::StatusOr<MetricsAddress> address = parseMetricsAddress(written);
  if (!address.ok()) {
    return metrics.errorAt("address", address.status().message());
  }
  config.host = address->host;
  config.port = address->port;
  if (!config.allow_remote && !isLoopbackHost(config.host)) {
    return metrics.errorAt(
        "address", absl::StrCat(written,
                                " is not a loopback address, and the metrics endpoint has no "
                                "authentication; set metrics.allowRemote: true to serve other "
                                "hosts, or use 127.0.0.1"));
  }
  return config;
}

}  // namespace pfd::config
