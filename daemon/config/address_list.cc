#include "daemon/config/address_list.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pfd::config {
namespace {

constexpr absl::string_view kAddressHint =
    "write IP addresses or localhost, separated by commas, e.g. 127.0.0.1 or localhost,::1";

}  // namespace

absl::StatusOr<AddressList> AddressList::parse(absl::string_view text) {
  std::vector<Address> addresses;
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(absl::StrCat("is empty; ", kAddressHint));
  }
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::string part(absl::StripAsciiWhitespace(item));
    if (part == "localhost") {
      addresses.push_back({"127.0.0.1", false, false});
      addresses.push_back({"::1", true, false});
      continue;
    }
    std::array<unsigned char, sizeof(in6_addr)> binary{};
    std::array<char, INET6_ADDRSTRLEN> canonical{};
    int family = part.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (part.empty() || inet_pton(family, part.c_str(), binary.data()) != 1 ||
        inet_ntop(family, binary.data(), canonical.data(), canonical.size()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", part, "\" is not an IP address or localhost; ", kAddressHint));
    }
    std::string spelled(canonical.data());
    addresses.push_back({spelled, family == AF_INET6, spelled == "0.0.0.0" || spelled == "::"});
  }
  return AddressList(std::move(addresses));
}

bool AddressList::overlap(const Address& a, const Address& b) {
  if (a.canonical == b.canonical) {
    return true;
  }
  // Linux binds "::" dual-stack by default, so it covers IPv4 addresses too.
  auto covers = [](const Address& wildcard, const Address& other) {
    return wildcard.wildcard && (wildcard.ipv6 || !other.ipv6);
  };
  return covers(a, b) || covers(b, a);
}

bool AddressList::overlaps(const AddressList& other) const {
  for (const Address& mine : addresses_) {
    for (const Address& theirs : other.addresses_) {
      if (overlap(mine, theirs)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace pfd::config
