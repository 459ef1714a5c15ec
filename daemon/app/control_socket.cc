#include "daemon/app/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/event/uv_status.h"
#include "spdlog/spdlog.h"

namespace pfd::app {
namespace {

constexpr std::chrono::milliseconds kResumeAfterDescriptorShortage{250};

absl::Status socketError(const std::string& path, const char* action, int error) {
  return absl::UnavailableError(absl::StrCat("cannot ", action, " the control socket ", path, ": ",
                                             std::strerror(error), "; choose another --socket"));
}

}  // namespace

absl::StatusOr<ControlSocketPtr> ControlSocket::listen(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path ", path, " is longer than ",
                                                   sizeof(address.sun_path) - 1,
                                                   " bytes; choose a shorter --socket"));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return socketError(path, "create", errno);
  }
  ControlSocketPtr control(new ControlSocket(fd, path));
  const mode_t previous_umask = umask(0177);
  const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  const int bind_error = errno;
  umask(previous_umask);
  if (bound != 0) {
    return socketError(path, "bind", bind_error);
  }
  // What the umask promised, checked before anyone can connect (a socket that does not listen
  // refuses connections).
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) {
    return socketError(path, "inspect", errno);
  }
  if (!S_ISSOCK(info.st_mode) || (info.st_mode & 07777) != 0600 || info.st_uid != geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the control socket ", path, " was not created as a private socket of uid ", geteuid(),
        " (mode ", absl::StrFormat("%04o", info.st_mode & 07777), ", owner uid ", info.st_uid,
        "); another process may have replaced it: check its directory, or choose another "
        "--socket"));
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    return socketError(path, "listen on", errno);
  }
  return control;
}

ControlSocket::~ControlSocket() { close(); }

absl::Status ControlSocket::start(event::LibuvDispatcher& dispatcher, uid_t served_uid,
                                  AdmitCallback on_admitted) {
  if (fd_ < 0 || poll_ != nullptr) {
    return absl::FailedPreconditionError("the control socket is closed or already accepting");
  }
  admission_ = std::make_unique<PeerAdmission>(served_uid);
  on_admitted_ = std::move(on_admitted);
  resume_timer_ = dispatcher.createTimer([this] {
    if (poll_ != nullptr) {
      uv_poll_start(poll_, UV_READABLE, &ControlSocket::onReadable);
    }
  });
  poll_ = new uv_poll_t;
  if (int error = uv_poll_init(dispatcher.loop(), poll_, fd_); error != 0) {
    delete poll_;
    poll_ = nullptr;
    return event::uvStatus(error, absl::StrCat("cannot watch the control socket ", path_));
  }
  poll_->data = this;
  if (int error = uv_poll_start(poll_, UV_READABLE, &ControlSocket::onReadable); error != 0) {
    close();
    return event::uvStatus(error, absl::StrCat("cannot watch the control socket ", path_));
  }
  return absl::OkStatus();
}

void ControlSocket::close() {
  resume_timer_.reset();
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void ControlSocket::onReadable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<ControlSocket*>(poll->data);
  if (self == nullptr) {
    return;
  }
  if (status < 0) {
    spdlog::warn("the control socket {} reported an error: {}", self->path_, uv_strerror(status));
    return;
  }
  self->acceptAll();
}

void ControlSocket::acceptAll() {
  while (fd_ >= 0) {
    const int connection = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (connection < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        return;
      }
      if (error == EINTR || error == ECONNABORTED) {
        continue;
      }
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        pauseAccepting(error);
        return;
      }
      spdlog::warn("cannot accept on the control socket {}: {}", path_, std::strerror(error));
      return;
    }
    ucred peer{};
    socklen_t length = sizeof(peer);
    if (getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
      // Without credentials there is no one to admit.
      spdlog::warn("refused a control connection whose peer is unknown (SO_PEERCRED: {})",
                   std::strerror(errno));
      ::close(connection);
      continue;
    }
    PeerAdmission::Decision decision = admission_->decide(peer.uid, peer.pid);
    if (decision.log_line.has_value()) {
      spdlog::warn("{}", *decision.log_line);
    }
    if (!decision.admitted) {
      ::close(connection);
      continue;
    }
    on_admitted_(connection);
  }
}

void ControlSocket::pauseAccepting(int error) {
  spdlog::warn("cannot accept on the control socket {}: {}; trying again in {} ms", path_,
               std::strerror(error), kResumeAfterDescriptorShortage.count());
  uv_poll_stop(poll_);
  resume_timer_->enable(kResumeAfterDescriptorShortage);
}

}  // namespace pfd::app
