#include "daemon/app/peer_admission.h"

#include "absl/strings/str_cat.h"

namespace pfd::app {

PeerAdmission::Decision PeerAdmission::decide(uid_t uid, pid_t pid) {
  if (uid == served_uid_ || uid == 0) {
    return {.admitted = true};
  }
  if (!refused_uids_.insert(uid).second) {
    return {.admitted = false};
  }
  return {.admitted = false,
          .log_line = absl::StrCat(
              "refused a control connection from uid ", uid, " (pid ", pid, "): pfd serves uid ",
              served_uid_, " and root only; further refusals of uid ", uid, " are not logged")};
}

}  // namespace pfd::app
