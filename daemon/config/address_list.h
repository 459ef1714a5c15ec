#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pfd::config {

// kubectl's --address: a comma-separated list of IP literals and "localhost" (which kubectl binds
// on both 127.0.0.1 and ::1).
class AddressList {
 public:
  AddressList() = default;  // no address: overlaps nothing

  // Errors carry only the message; the caller adds the position.
  static absl::StatusOr<AddressList> parse(absl::string_view text);

  // True when a listener on every address of this list and one on `other`, on the same port,
  // could not both bind: a shared address, or a wildcard (0.0.0.0, ::) covering the other.
  bool overlaps(const AddressList& other) const;

 private:
  struct Address {
    std::string canonical;  // inet_ntop's spelling, so "::1" and "0:0::1" compare equal
    bool ipv6 = false;
    bool wildcard = false;
  };

  explicit AddressList(std::vector<Address> addresses) : addresses_(std::move(addresses)) {}
  static bool overlap(const Address& a, const Address& b);

  std::vector<Address> addresses_;
};

}  // namespace pfd::config
