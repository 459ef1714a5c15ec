#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"

namespace pfd::app {

// Who may talk to pfd on its control socket: the user pfd runs as, and root. The socket's file
// mode is only the first fence (its owner can open it up with chmod, and a file mode says nothing
// about a descriptor passed on), so every connection's peer credentials (SO_PEERCRED) are judged
// here.
class PeerAdmission {
 public:
  explicit PeerAdmission(uid_t served_uid) : served_uid_(served_uid) {}

  struct Decision {
    bool admitted = false;
    // The line to log for a refusal: only the first refusal of each uid has one, so that a
    // client retrying in a loop cannot flood the journal.
    std::optional<std::string> log_line;
  };

  // `uid` and `pid` as the kernel reported them for the connecting process.
  Decision decide(uid_t uid, pid_t pid);

 private:
  uid_t served_uid_;
  absl::flat_hash_set<uid_t> refused_uids_;
};

}  // namespace pfd::app
