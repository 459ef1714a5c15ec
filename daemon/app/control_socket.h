#pragma once

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/app/peer_admission.h"
#include "daemon/event/libuv_dispatcher.h"

namespace pfd::app {

class ControlSocket;
using ControlSocketPtr = std::unique_ptr<ControlSocket>;

// pfd's control socket, bound and accepted by pfd rather than by gRPC: every connection's peer
// credentials are checked (PeerAdmission) before gRPC reads a byte of it. Admitted connections
// are handed to gRPC (grpc::AddInsecureChannelFromFd); refused ones are closed at once, so a
// stranger never reaches gRPC's parser.
class ControlSocket {
 public:
  // Takes ownership of each admitted connection's descriptor (non-blocking, close-on-exec).
  using AdmitCallback = std::function<void(int fd)>;

  // Binds `path` and listens. The socket file is 0600 from its first moment (bind() under a
  // umask of 0177), so there is no window in which the umask's mode lets others connect. The
  // caller has prepared the directory and removed a stale socket (InstanceLock). Nothing is
  // accepted until start(). pfd calls it while it is still single-threaded, because the umask is
  // per process.
  static absl::StatusOr<ControlSocketPtr> listen(const std::string& path);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // Loop thread: accepts connections from now on, admitting `served_uid` and root.
  absl::Status start(event::LibuvDispatcher& dispatcher, uid_t served_uid,
                     AdmitCallback on_admitted);
  // Loop thread: stops accepting and closes the listening socket; the file stays (InstanceLock
  // removes it). Connections that arrive afterwards are refused by the kernel. Idempotent.
  void close();

  const std::string& path() const { return path_; }

 private:
  ControlSocket(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  static void onReadable(uv_poll_t* poll, int status, int events);
  void acceptAll();
  // Out of descriptors: accept() would fail again at once, and a level-triggered poll would spin.
  void pauseAccepting(int error);

  int fd_;
  std::string path_;
  std::unique_ptr<PeerAdmission> admission_;
  AdmitCallback on_admitted_;
  // Heap-allocated: freed by its close callback, which may run after this object is gone.
  uv_poll_t* poll_ = nullptr;
  event::TimerPtr resume_timer_;
};

}  // namespace pfd::app
