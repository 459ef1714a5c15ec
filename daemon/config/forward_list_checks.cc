#include "daemon/config/forward_list_checks.h"

#include "absl/strings/str_cat.h"

namespace pfd::config {
namespace {

absl::Status checkName(const ParsedForward& theirs, const ParsedForward& mine,
                       const Diagnostics& diagnostics) {
  if (theirs.spec.name != mine.spec.name) {
    return absl::OkStatus();
  }
  return diagnostics.error(
      mine.name_mark, fieldPath(mine.path, "name"),
      absl::StrCat("\"", mine.spec.name, "\" is already the name of ", theirs.path, " (line ",
                   Diagnostics::lineOf(theirs.name_mark), "); forward names must be unique"));
}

absl::Status checkPorts(const ParsedForward& theirs, const ParsedForward& mine,
                        const Diagnostics& diagnostics) {
  if (!mine.addresses.overlaps(theirs.addresses)) {
    return absl::OkStatus();
  }
  for (size_t i = 0; i < mine.spec.ports.size(); ++i) {
    for (size_t j = 0; j < theirs.spec.ports.size(); ++j) {
      if (mine.spec.ports[i].local != theirs.spec.ports[j].local) {
        continue;
      }
      return diagnostics.error(
          mine.port_marks[i], indexPath(mine.ports_path, i),
          absl::StrCat("local port ", mine.spec.ports[i].local, " on ", mine.spec.address,
                       " is already held by forward \"", theirs.spec.name, "\" (",
                       indexPath(theirs.ports_path, j), ", line ",
                       Diagnostics::lineOf(theirs.port_marks[j]), ", address ", theirs.spec.address,
                       "); pick another local port or another address"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status checkAgainstEarlier(const std::vector<ParsedForward>& earlier,
                                 const ParsedForward& forward, const Diagnostics& diagnostics) {
  for (const ParsedForward& theirs : earlier) {
    if (absl::Status name = checkName(theirs, forward, diagnostics); !name.ok()) {
      return name;
    }
  }
  for (const ParsedForward& theirs : earlier) {
    if (absl::Status ports = checkPorts(theirs, forward, diagnostics); !ports.ok()) {
      return ports;
    }
  }
  return absl::OkStatus();
}

}  // namespace pfd::config
