// Who holds a local port: what "local port 8080 is already in use by pid 4242 (python3)" names.
#include "daemon/app/port_owner.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pfd::app {
namespace {

// A TCP socket on 127.0.0.1, on a port chosen by the kernel, listening unless told not to (a
// bound socket that does not listen holds its port without being anyone's listener).
class Listener {
 public:
  explicit Listener(bool listening = true) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    if (listening) {
      EXPECT_EQ(listen(fd_, 1), 0);
    }
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string ownCommandName() {
  std::ifstream in("/proc/self/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

std::string ourselves() { return absl::StrCat("pid ", getpid(), " (", ownCommandName(), ")"); }

TEST(PortOwnerTest, NamesTheProcessListeningOnThePort) {
  Listener listener;
  EXPECT_EQ(describeLocalPortOwner("127.0.0.1", listener.port()), ourselves());
}

TEST(PortOwnerTest, OnlyAListenerThatCollidesWithTheAddressCounts) {
  Listener listener;
  EXPECT_EQ(describeLocalPortOwner("localhost", listener.port()), ourselves());
  EXPECT_EQ(describeLocalPortOwner("0.0.0.0", listener.port()), ourselves())
      << "a wildcard bind collides with every address";
  EXPECT_EQ(describeLocalPortOwner("::", listener.port()), ourselves());
  EXPECT_EQ(describeLocalPortOwner("127.0.0.2", listener.port()), "")
      << "127.0.0.2:PORT can be bound beside 127.0.0.1:PORT";
  EXPECT_EQ(describeLocalPortOwner("::1", listener.port()), "");
}

TEST(PortOwnerTest, NothingListeningIsEmpty) {
  Listener bound_only(/*listening=*/false);
  EXPECT_EQ(describeLocalPortOwner("127.0.0.1", bound_only.port()), "");
}

TEST(PortOwnerTest, TheFinderAnswersOnTheLoopFromTheThreadPool) {
  Listener listener;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  core::FindPortOwner find = portOwnerFinder(&loop);
  std::string answer = "(none)";
  core::PortOwnerQueryPtr query =
      find("127.0.0.1", listener.port(), [&](std::string owner) { answer = std::move(owner); });
  EXPECT_EQ(answer, "(none)") << "not from inside the call";
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(answer, ourselves());

  std::string cancelled_answer = "(none)";
  query = find("127.0.0.1", listener.port(),
               [&](std::string owner) { cancelled_answer = std::move(owner); });
  query.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(cancelled_answer, "(none)") << "a cancelled question gets no answer";
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace pfd::app
