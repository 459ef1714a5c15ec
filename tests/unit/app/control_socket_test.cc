// The control socket: private from its first moment, and only pfd's user and root get through.
#include "daemon/app/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/app/private_temp_dir.h"

namespace pfd::app {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::HasSubstr;

// An unprivileged uid for the stranger when the test runs as root (nobody on Debian).
constexpr uid_t kStrangerUid = 65534;

int connectTo(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

std::optional<uid_t> peerUid(int fd) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
    return std::nullopt;
  }
  return peer.uid;
}

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto dispatcher = event::LibuvDispatcher::create();
    ASSERT_OK(dispatcher);
    dispatcher_ = std::move(*dispatcher);
  }
  void TearDown() override {
    socket_.reset();
    dispatcher_.reset();
  }

  // Ends the loop once `fd` is readable (data or EOF), so a test can wait for what pfd did with
  // the other end of a connection.
  void runUntilReadable(int fd) {
    uv_poll_t* poll = new uv_poll_t;
    ASSERT_EQ(uv_poll_init(dispatcher_->loop(), poll, fd), 0);
    poll->data = dispatcher_.get();
    uv_poll_start(poll, UV_READABLE, [](uv_poll_t* handle, int, int) {
      static_cast<event::LibuvDispatcher*>(handle->data)->exit();
      uv_close(reinterpret_cast<uv_handle_t*>(handle),
               [](uv_handle_t* closed) { delete reinterpret_cast<uv_poll_t*>(closed); });
    });
    dispatcher_->run();
  }

  testing::PrivateTempDir dir_;
  const std::string path_ = dir_.file("pfd.sock");
  event::LibuvDispatcherPtr dispatcher_;
  ControlSocketPtr socket_;
};

TEST_F(ControlSocketTest, TheSocketIsPrivateFromItsCreationWhateverTheUmask) {
  const mode_t previous = umask(0);
  auto socket = ControlSocket::listen(path_);
  const mode_t during = umask(previous);
  ASSERT_OK(socket);
  struct stat info {};
  ASSERT_EQ(lstat(path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_EQ(info.st_uid, geteuid());
  EXPECT_EQ(during, 0u) << "the umask pfd narrowed for bind() is given back";
}

TEST_F(ControlSocketTest, AnExistingFileAtThePathIsAnErrorThatNamesIt) {
  auto first = ControlSocket::listen(path_);
  ASSERT_OK(first);
  EXPECT_THAT(ControlSocket::listen(path_),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot bind the control socket " + path_)));
}

TEST_F(ControlSocketTest, HandsAConnectionOfItsOwnUserOnToTheCallback) {
  auto socket = ControlSocket::listen(path_);
  ASSERT_OK(socket);
  socket_ = std::move(*socket);
  std::optional<uid_t> admitted_peer;
  ASSERT_OK(socket_->start(*dispatcher_, geteuid(), [&](int fd) {
    admitted_peer = peerUid(fd);
    close(fd);
    dispatcher_->exit();
  }));
  const int client = connectTo(path_);
  ASSERT_GE(client, 0);
  dispatcher_->run();
  close(client);
  EXPECT_EQ(admitted_peer, std::optional<uid_t>(geteuid()));
}

TEST_F(ControlSocketTest, ClosesAConnectionOfAnotherUserEvenThroughAWorldWritableSocket) {
  auto socket = ControlSocket::listen(path_);
  ASSERT_OK(socket);
  socket_ = std::move(*socket);
  // A stranger needs a way in: the owner opening up the socket and its directory.
  ASSERT_EQ(chmod(path_.c_str(), 0666), 0);
  ASSERT_EQ(chmod(dir_.path().c_str(), 0711), 0);
  // Root is always served, so as root the stranger is a real other uid (connect() records the
  // effective uid); otherwise pfd is told to serve someone else, and this process is the stranger.
  const bool as_root = geteuid() == 0;
  const uid_t served = as_root ? geteuid() : geteuid() + 1;
  int admitted = 0;
  ASSERT_OK(socket_->start(*dispatcher_, served, [&](int fd) {
    ++admitted;
    close(fd);
  }));
  ASSERT_EQ(as_root ? seteuid(kStrangerUid) : 0, 0);
  const int client = connectTo(path_);
  ASSERT_EQ(as_root ? seteuid(0) : 0, 0);
  ASSERT_GE(client, 0);

  runUntilReadable(client);
  char byte = 0;
  EXPECT_EQ(recv(client, &byte, 1, 0), 0) << "pfd closed the connection without a byte";
  close(client);
  EXPECT_EQ(admitted, 0);
}

TEST_F(ControlSocketTest, AfterCloseNothingIsAcceptedAnymore) {
  auto socket = ControlSocket::listen(path_);
  ASSERT_OK(socket);
  socket_ = std::move(*socket);
  ASSERT_OK(socket_->start(*dispatcher_, geteuid(), [](int fd) { close(fd); }));
  socket_->close();
  EXPECT_EQ(connectTo(path_), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
}

}  // namespace
}  // namespace pfd::app
