#include "tests/unit/client/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace pfd::client::fixtures {
namespace {

// Only a safety net for a broken test; every wait ends on an event (a line, EOF) long before.
constexpr int kSafetyTimeoutMs = 30'000;

std::vector<std::string> environmentFor(const std::map<std::string, std::string>& set,
                                        const std::vector<std::string>& unset) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable(*entry);
    const std::string name = variable.substr(0, variable.find('='));
    if (set.count(name) == 0 && std::count(unset.begin(), unset.end(), name) == 0) {
      environment.push_back(variable);
    }
  }
  for (const auto& [name, value] : set) {
    environment.push_back(absl::StrCat(name, "=", value));
  }
  return environment;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (std::string& s : strings) {
    result.push_back(s.data());
  }
  result.push_back(nullptr);
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::start(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& set,
    const std::vector<std::string>& unset, bool stdout_on_terminal) {
  // [0] is ours to read, [1] becomes the child's stdout.
  int out_pipe[2];
  int err_pipe[2];
  if (stdout_on_terminal) {
    struct winsize size {};
    size.ws_col = 200;
    size.ws_row = 50;
    if (openpty(&out_pipe[0], &out_pipe[1], nullptr, nullptr, &size) != 0) {
      return absl::InternalError(absl::StrCat("openpty: ", std::strerror(errno)));
    }
    fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(out_pipe[1], F_SETFD, FD_CLOEXEC);
  } else if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  std::vector<std::string> arguments = argv;
  std::vector<std::string> environment = environmentFor(set, unset);
  std::vector<char*> argv_pointers = pointers(arguments);
  std::vector<char*> environment_pointers = pointers(environment);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  // The child starts with default signal handling whatever the test runner did.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t no_mask;
  sigemptyset(&no_mask);
  posix_spawnattr_setsigmask(&attributes, &no_mask);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = 0;
  const int error = posix_spawn(&pid, arguments[0].c_str(), &actions, &attributes,
                                argv_pointers.data(), environment_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (error != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return absl::InternalError(
        absl::StrCat("cannot run ", arguments[0], ": ", std::strerror(error)));
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, out_pipe[0], err_pipe[0]));
}

Subprocess::Subprocess(pid_t pid, int out_fd, int err_fd)
    : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}

Subprocess::~Subprocess() {
  if (!exit_code_.has_value()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) {
    close(out_fd_);
  }
  if (err_fd_ >= 0) {
    close(err_fd_);
  }
}

absl::StatusOr<bool> Subprocess::pump(bool want_err) {
  pollfd fds[2];
  nfds_t count = 0;
  if (out_fd_ >= 0) {
    fds[count++] = pollfd{out_fd_, POLLIN, 0};
  }
  if (want_err && err_fd_ >= 0) {
    fds[count++] = pollfd{err_fd_, POLLIN, 0};
  }
  if (count == 0) {
    return false;
  }
  const int ready = poll(fds, count, kSafetyTimeoutMs);
  if (ready < 0) {
    return errno == EINTR ? absl::StatusOr<bool>(true)
                          : absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
  }
  if (ready == 0) {
    return absl::DeadlineExceededError(absl::StrCat("pfctl printed nothing for ", kSafetyTimeoutMs,
                                                    " ms; stdout so far: ", out_,
                                                    "; stderr so far: ", err_));
  }
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) {
      continue;
    }
    int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
    std::string& sink = fds[i].fd == out_fd_ ? out_ : err_;
    char buffer[4096];
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got > 0) {
      sink.append(buffer, static_cast<size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      // EOF; a terminal reports EIO instead once the child's side is closed.
      close(fd);
      fd = -1;
    }
  }
  return true;
}

absl::StatusOr<std::string> Subprocess::readLine() {
  while (true) {
    const size_t end = out_.find('\n', line_start_);
    if (end != std::string::npos) {
      std::string line = out_.substr(line_start_, end - line_start_);
      line_start_ = end + 1;
      return line;
    }
    if (out_fd_ < 0) {
      return absl::OutOfRangeError(
          absl::StrCat("stdout closed before a whole line; stderr: ", err_));
    }
    // Only stdout: the line we want is there, and stderr stays tiny.
    absl::StatusOr<bool> open = pump(false);
    if (!open.ok()) {
      return open.status();
    }
  }
}

absl::StatusOr<ProcessResult> Subprocess::wait() {
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    absl::StatusOr<bool> open = pump(true);
    if (!open.ok()) {
      return open.status();
    }
  }
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) {
    return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return ProcessResult{*exit_code_, out_, err_};
}

absl::StatusOr<ProcessResult> runToCompletion(const std::vector<std::string>& argv,
                                              const std::map<std::string, std::string>& set,
                                              const std::vector<std::string>& unset,
                                              bool stdout_on_terminal) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::start(argv, set, unset, stdout_on_terminal);
  if (!process.ok()) {
    return process.status();
  }
  return (*process)->wait();
}

}  // namespace pfd::client::fixtures
