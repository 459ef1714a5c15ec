#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pfd::probe::testing {

// A helper program the test starts (a TLS server, openssl): its stdout is a pipe the test reads
// line by line; the destructor stops it by PID and reaps it.
class TestSubprocess {
 public:
  explicit TestSubprocess(const std::vector<std::string>& argv);
  ~TestSubprocess();
  TestSubprocess(const TestSubprocess&) = delete;
  TestSubprocess& operator=(const TestSubprocess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The next stdout line, or nullopt at EOF or when none came within `limit` (a safety bound for
  // a broken helper, not a synchronisation delay).
  std::optional<std::string> readLine(std::chrono::milliseconds limit);
  // Waits for the program to exit on its own; its exit code, or -1.
  int wait();

  // Runs a program to completion; its exit code, or -1 if it could not run.
  static int run(const std::vector<std::string>& argv);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
};

}  // namespace pfd::probe::testing
