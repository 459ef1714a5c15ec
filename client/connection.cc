#include "client/connection.h"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "daemon/config/paths.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace pfd::client {
namespace {

constexpr absl::string_view kStartHint = "start it with 'pfd' or 'systemctl --user start pfd'";
constexpr absl::string_view kSocketHint =
    "check --socket / PFD_SOCKET and that pfd runs as your user";

// gRPC messages sometimes span lines; the not-running report must stay one line.
std::string oneLine(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\r\n", "; "}, {"\n", "; "}, {"\r", "; "}});
}

std::string noSocketMessage(const std::string& socket_path) {
  return absl::StrCat("pfctl: pfd is not running (no socket at ", socket_path, "); ", kStartHint);
}

struct ConnectAttempt {
  int error = 0;  // 0 when something accepted the connection
  // The uid of the process that listens there, as the kernel recorded it at its listen().
  std::optional<uid_t> server_uid;
};

ConnectAttempt tryConnect(const std::string& socket_path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path)) {
    return {.error = ENAMETOOLONG};
  }
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return {.error = errno};
  }
  ConnectAttempt attempt;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    attempt.error = errno;
  } else {
    ucred server{};
    socklen_t length = sizeof(server);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &server, &length) == 0) {
      attempt.server_uid = server.uid;
    }
  }
  close(fd);
  return attempt;
}

// 0 when something accepts connections at `socket_path`, else the errno of the attempt.
int connectErrno(const std::string& socket_path) { return tryConnect(socket_path).error; }

// "uid 1000 (alice)", or "uid 1000" when the name is unknown.
std::string describeUser(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) == 0 && found != nullptr) {
    return absl::StrCat("uid ", uid, " (", found->pw_name, ")");
  }
  return absl::StrCat("uid ", uid);
}

}  // namespace

std::string resolveSocketPath(const std::string& socket_flag) {
  return socket_flag.empty() ? pfd::config::defaultSocketPath() : socket_flag;
}

Connection::Connection(std::string socket_path) : socket_path_(std::move(socket_path)) {}

absl::StatusOr<pfd::v1::Control::StubInterface*> Connection::stub() {
  if (stub_ != nullptr) {
    return stub_.get();
  }
  struct stat info {};
  if (stat(socket_path_.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::UnavailableError(noSocketMessage(socket_path_));
    }
    return absl::UnavailableError(absl::StrCat("pfctl: cannot reach pfd at ", socket_path_, " (",
                                               std::strerror(errno), "); ", kSocketHint));
  }
  if (!S_ISSOCK(info.st_mode)) {
    return absl::UnavailableError(
        absl::StrCat("pfctl: cannot reach pfd: ", socket_path_, " is not a socket; ", kSocketHint));
  }
  channel_ =
      grpc::CreateChannel(absl::StrCat("unix:", socket_path_), grpc::InsecureChannelCredentials());
  stub_ = pfd::v1::Control::NewStub(channel_);
  return stub_.get();
}

absl::Status Connection::callError(const grpc::Status& status) const {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE: {
      // pfd closes the connections of users it does not serve before gRPC sees them, so that
      // reaches pfctl as a transport failure; find out whether that was the reason.
      if (std::optional<std::string> refusal = refusalMessage(socket_path_)) {
        return absl::PermissionDeniedError(*refusal);
      }
      std::string message = notRunningMessage(socket_path_);
      if (message.empty()) {
        // Something accepts connections there, yet the call failed: a daemon shutting down, or
        // not pfd at all.
        message = absl::StrCat("pfctl: pfd at ", socket_path_,
                               " is unavailable: ", oneLine(status.error_message()),
                               "; try again, or restart it with 'systemctl --user restart pfd'");
      }
      return absl::UnavailableError(message);
    }
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(
          absl::StrCat("pfctl: pfd is not answering on ", socket_path_, " (no reply within ",
                       absl::FormatDuration(kCallTimeout),
                       "); check it with 'systemctl --user status pfd' or restart it"));
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
  }
}

std::unique_ptr<grpc::ClientContext> Connection::unaryContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  return context;
}

std::string notRunningMessage(const std::string& socket_path) {
  const int error = connectErrno(socket_path);
  switch (error) {
    case 0:
      return "";
    case ENOENT:
    case ENOTDIR:
      return noSocketMessage(socket_path);
    case ECONNREFUSED:
      return absl::StrCat("pfctl: pfd is not running (nothing listens on ", socket_path,
                          ", a socket left behind); ", kStartHint);
    case ENAMETOOLONG:
      return absl::StrCat("pfctl: cannot reach pfd: the socket path ", socket_path,
                          " is longer than ", sizeof(sockaddr_un::sun_path) - 1,
                          " bytes; pick a shorter one with --socket or PFD_SOCKET");
    default:
      return absl::StrCat("pfctl: cannot reach pfd at ", socket_path, " (", std::strerror(error),
                          "); ", kSocketHint);
  }
}

std::string refusedUserMessage(const std::string& socket_path, uid_t server_uid, uid_t client_uid) {
  return absl::StrCat("pfd at ", socket_path, " runs as ", describeUser(server_uid),
                      " and serves only that user and root, and this pfctl runs as ",
                      describeUser(client_uid),
                      ", so pfd refused the connection; run pfctl as that user (or as root), or "
                      "start a pfd of your own with another --socket");
}

std::optional<std::string> refusalMessage(const std::string& socket_path) {
  const uid_t me = geteuid();
  if (me == 0) {
    return std::nullopt;  // pfd serves root whoever it runs as
  }
  const ConnectAttempt attempt = tryConnect(socket_path);
  std::optional<uid_t> server_uid = attempt.server_uid;
  if (attempt.error == EACCES) {
    // The socket's mode kept us out before pfd could; its owner is the uid pfd runs as.
    struct stat info {};
    if (stat(socket_path.c_str(), &info) == 0) {
      server_uid = info.st_uid;
    }
  }
  if (!server_uid.has_value() || *server_uid == me) {
    return std::nullopt;
  }
  return refusedUserMessage(socket_path, *server_uid, me);
}

int exitCodeFor(const absl::Status& status) {
  if (status.ok()) {
    return kExitOk;
  }
  if (status.code() == absl::StatusCode::kUnavailable) {
    return kExitNotRunning;
  }
  return kExitRefused;
}

void printFailure(const absl::Status& status, std::ostream& err) {
  if (status.ok()) {
    return;
  }
  if (exitCodeFor(status) == kExitNotRunning) {
    err << status.message() << '\n';
    return;
  }
  err << "error: " << status.message() << '\n';
}

}  // namespace pfd::client
