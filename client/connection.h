#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "pfd/v1/control.grpc.pb.h"

namespace pfd::client {

// pfctl's exit codes; `pfctl --help` documents them.
enum ExitCode : int {
  kExitOk = 0,
  kExitRefused = 1,     // the daemon answered and refused (unknown name, bad config...)
  kExitNotRunning = 2,  // no daemon at the socket, or it does not answer
  kExitUsage = 64,      // bad command line (EX_USAGE)
};

// How long a unary call may take before pfctl gives up on the daemon.
inline constexpr absl::Duration kCallTimeout = absl::Seconds(5);

// The --socket flag when given, else what pfd itself listens on by default ($PFD_SOCKET, else
// $XDG_RUNTIME_DIR/pfd/pfd.sock, else /tmp/pfd-UID/pfd.sock).
std::string resolveSocketPath(const std::string& socket_flag);

// The channel to pfd's Control service on its Unix socket, and the translation of transport
// failures into one line a user can act on.
class Connection {
 public:
  explicit Connection(std::string socket_path);

  const std::string& socketPath() const { return socket_path_; }

  // The Control stub, connected on first use. When nothing is at the socket path this fails at
  // once with UNAVAILABLE and the not-running line, without involving gRPC.
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub();

  // A failed call as a status for the user: UNAVAILABLE and DEADLINE_EXCEEDED become
  // UNAVAILABLE with the not-running (or not-answering) line; anything else is the daemon's
  // refusal and keeps its code and message.
  absl::Status callError(const grpc::Status& status) const;

  // A context for a unary call, which gives up after kCallTimeout. Streaming calls use a plain
  // context: they last until the user interrupts them.
  static std::unique_ptr<grpc::ClientContext> unaryContext();

 private:
  std::string socket_path_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pfd::v1::Control::Stub> stub_;
};

// Why nothing answers at `socket_path`, found by connecting to it: one line starting with
// "pfctl: " that says what to do.
std::string notRunningMessage(const std::string& socket_path);

// Why pfd at `socket_path` will not serve this process, when that is the reason a call failed:
// the pfd there runs as another user (and this process is not root), so it closes the
// connection (or the socket's mode keeps this process out). One line that says what to do.
std::optional<std::string> refusalMessage(const std::string& socket_path);

// The line refusalMessage() gives for a pfd running as `server_uid` and a pfctl as `client_uid`.
std::string refusedUserMessage(const std::string& socket_path, uid_t server_uid, uid_t client_uid);

// The exit code for the outcome of a command (see ExitCode).
int exitCodeFor(const absl::Status& status);

// Prints a failed command's one line to `err`: the not-running line as it is, anything else as
// "error: <message>".
void printFailure(const absl::Status& status, std::ostream& err);

}  // namespace pfd::client
