#include "client/render/terminal.h"

#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace pfd::client {
namespace {

TEST(ColorWantedTest, OnlyOnATerminal) {
  EXPECT_TRUE(colorWanted(true, nullptr, "xterm-256color"));
  EXPECT_FALSE(colorWanted(false, nullptr, "xterm-256color"));
}

TEST(ColorWantedTest, NoColorWithAnyValueTurnsItOff) {
  EXPECT_FALSE(colorWanted(true, "1", "xterm"));
  EXPECT_FALSE(colorWanted(true, "yes please", "xterm"));
  // no-color.org: an empty NO_COLOR does not count.
  EXPECT_TRUE(colorWanted(true, "", "xterm"));
}

TEST(ColorWantedTest, DumbTerminalGetsNone) { EXPECT_FALSE(colorWanted(true, nullptr, "dumb")); }

// Sets (or unsets) an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name); old != nullptr) {
      old_ = old;
    }
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_.has_value()) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A pseudo-terminal 57 columns wide, as a user's terminal would be.
class PseudoTerminal {
 public:
  PseudoTerminal() {
    struct winsize size {};
    size.ws_col = 57;
    size.ws_row = 20;
    ok_ = openpty(&controller_, &terminal_, nullptr, nullptr, &size) == 0;
  }
  ~PseudoTerminal() {
    if (ok_) {
      close(controller_);
      close(terminal_);
    }
  }
  bool ok() const { return ok_; }
  int terminalFd() const { return terminal_; }

 private:
  bool ok_ = false;
  int controller_ = -1;
  int terminal_ = -1;
};

TEST(DetectTableStyleTest, PipeGetsNoColourAndEveryCharacter) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ScopedEnv no_color("NO_COLOR", nullptr);
  const TableStyle style = detectTableStyle(fds[1]);
  EXPECT_FALSE(style.color);
  EXPECT_FALSE(style.max_width.has_value());
  close(fds[0]);
  close(fds[1]);
}

TEST(DetectTableStyleTest, TerminalGetsColourAndItsWidth) {
  PseudoTerminal terminal;
  ASSERT_TRUE(terminal.ok());
  ScopedEnv no_color("NO_COLOR", nullptr);
  ScopedEnv term("TERM", "xterm");
  const TableStyle style = detectTableStyle(terminal.terminalFd());
  EXPECT_TRUE(style.color);
  EXPECT_EQ(style.max_width, std::optional<size_t>(57));
}

TEST(DetectTableStyleTest, TerminalWithNoColorGetsNoColourButStillItsWidth) {
  PseudoTerminal terminal;
  ASSERT_TRUE(terminal.ok());
  ScopedEnv no_color("NO_COLOR", "1");
  ScopedEnv term("TERM", "xterm");
  const TableStyle style = detectTableStyle(terminal.terminalFd());
  EXPECT_FALSE(style.color);
  EXPECT_EQ(style.max_width, std::optional<size_t>(57));
}

TEST(TerminalWidthTest, FallsBackToColumnsThenEighty) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    ScopedEnv columns("COLUMNS", "132");
    EXPECT_EQ(terminalWidth(fds[1]), 132u);
  }
  {
    ScopedEnv columns("COLUMNS", nullptr);
    EXPECT_EQ(terminalWidth(fds[1]), 80u);
  }
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace pfd::client
