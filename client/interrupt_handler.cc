#include "client/interrupt_handler.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

namespace pfd::client {
namespace {

constexpr char kSignalByte = 's';
constexpr char kQuitByte = 'q';

// The pipe's write end for the signal handler; -1 when no InterruptHandler exists.
std::atomic<int> g_signal_pipe{-1};

extern "C" void onSignal(int /*signal*/) {
  const int saved_errno = errno;
  const int fd = g_signal_pipe.load();
  if (fd >= 0) {
    // A full pipe already holds a wake-up; nothing more to do.
    [[maybe_unused]] ssize_t written = write(fd, &kSignalByte, 1);
  }
  errno = saved_errno;
}

}  // namespace

InterruptHandler::InterruptHandler(std::function<void()> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    // Without the pipe Ctrl-C keeps its default action, which still ends pfctl.
    return;
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  fcntl(write_fd_, F_SETFL, O_NONBLOCK);
  int expected = -1;
  if (!g_signal_pipe.compare_exchange_strong(expected, write_fd_)) {
    std::abort();  // A second InterruptHandler: a programming error.
  }
  thread_ = std::thread([this] { waitForSignals(); });
  struct sigaction action {};
  action.sa_handler = onSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

InterruptHandler::~InterruptHandler() {
  if (read_fd_ < 0) {
    return;
  }
  restorePreviousHandlers();
  g_signal_pipe.store(-1);
  // The write end is non-blocking; if the pipe were full the thread is already awake and will
  // read the quit byte after the signal bytes.
  while (write(write_fd_, &kQuitByte, 1) < 0 && (errno == EINTR || errno == EAGAIN)) {
  }
  thread_.join();
  close(read_fd_);
  close(write_fd_);
}

void InterruptHandler::restorePreviousHandlers() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

void InterruptHandler::waitForSignals() {
  while (true) {
    char byte = 0;
    const ssize_t got = read(read_fd_, &byte, 1);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0 || byte == kQuitByte) {
      return;
    }
    if (!interrupted_.exchange(true)) {
      restorePreviousHandlers();
      on_interrupt_();
    }
  }
}

}  // namespace pfd::client
