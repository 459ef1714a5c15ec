#include "daemon/config/dns_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace pfd::config {
namespace {

bool isLowerAlnum(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z'); }

bool isLabelCharacters(absl::string_view name) {
  for (char c : name) {
    if (!isLowerAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool isDnsLabel(absl::string_view name) {
  return !name.empty() && name.size() <= 63 && isLabelCharacters(name) &&
         isLowerAlnum(name.front()) && isLowerAlnum(name.back());
}

bool isDnsSubdomain(absl::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (!isDnsLabel(label)) {
      return false;
    }
  }
  return true;
}

bool isDns1035Label(absl::string_view name) {
  return isDnsLabel(name) && name.front() >= 'a' && name.front() <= 'z';
}

bool isPortName(absl::string_view name) {
  if (name.empty() || name.size() > 15 || !isLabelCharacters(name) || name.front() == '-' ||
      name.back() == '-' || name.find("--") != absl::string_view::npos) {
    return false;
  }
  for (char c : name) {
    if (c >= 'a' && c <= 'z') {
      return true;
    }
  }
  return false;
}

}  // namespace pfd::config
