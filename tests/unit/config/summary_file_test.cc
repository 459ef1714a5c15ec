#include "daemon/config/summary_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace pfd::config {
namespace {

TEST(SummaryFileTest, FormatAndParseRoundTrip) {
  SummaryRecord record{
      .line = "pfd: 12/13 ready, web down", .pid = 4242, .start_time = 987654, .exit_code = 3};
  const std::string text = formatSummaryFile(record);
  EXPECT_EQ(text, "pfd: 12/13 ready, web down\npid=4242 start=987654 exit=3\n");
  std::optional<SummaryRecord> parsed = parseSummaryFile(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->line, record.line);
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->start_time, 987654u);
  EXPECT_EQ(parsed->exit_code, 3);
}

TEST(SummaryFileTest, AnythingElseDoesNotParse) {
  EXPECT_FALSE(parseSummaryFile("").has_value());
  EXPECT_FALSE(parseSummaryFile("pfd: 1/1 ready").has_value());
  EXPECT_FALSE(parseSummaryFile("pfd: 1/1 ready\npid=x start=1 exit=0\n").has_value());
  EXPECT_FALSE(parseSummaryFile("pfd: 1/1 ready\npid=0 start=1 exit=0\n").has_value());
  EXPECT_FALSE(parseSummaryFile("\npid=1 start=1 exit=0\n").has_value());
}

TEST(SummaryFileTest, SummaryPathIsBesideTheSocket) {
  EXPECT_EQ(summaryPathFor("/run/user/1000/pfd/pfd.sock"), "/run/user/1000/pfd/pfd.sock.summary");
}

TEST(SummaryFileTest, ProcessStartTimeOfThisProcessIsStableAndOfNoProcessIsNone) {
  std::optional<uint64_t> mine = processStartTime(getpid());
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(processStartTime(getpid()), mine);
  // Above the kernel's pid_max limit (4194304), so no process has it.
  EXPECT_EQ(processStartTime(99999999), std::nullopt);
}

class ShortStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/pfd-summary-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
    path_ = dir_ + "/pfd.sock.summary";
  }
  void TearDown() override {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  void write(const std::string& text) { std::ofstream(path_) << text; }

  std::string dir_;
  std::string path_;
};

TEST_F(ShortStatusTest, TheLineOfARunningWriterWithItsExitCode) {
  write(formatSummaryFile({.line = "pfd: 1/2 ready, web down",
                           .pid = getpid(),
                           .start_time = *processStartTime(getpid()),
                           .exit_code = 3}));
  ShortStatus status = readShortStatus(path_);
  EXPECT_EQ(status.line, "pfd: 1/2 ready, web down");
  EXPECT_EQ(status.exit_code, 3);
}

TEST_F(ShortStatusTest, AMissingFileIsNotRunning) {
  ShortStatus status = readShortStatus(path_);
  EXPECT_EQ(status.line, "pfd: not running");
  EXPECT_EQ(status.exit_code, 3);
}

TEST_F(ShortStatusTest, AWriterThatIsGoneOrAPidReusedIsNotRunning) {
  write(formatSummaryFile(
      {.line = "pfd: 2/2 ready", .pid = 99999999, .start_time = 1, .exit_code = 0}));
  EXPECT_EQ(readShortStatus(path_).line, "pfd: not running");
  // This process's pid with another start time: a pid the kernel gave to someone else.
  write(formatSummaryFile({.line = "pfd: 2/2 ready",
                           .pid = getpid(),
                           .start_time = *processStartTime(getpid()) + 1,
                           .exit_code = 0}));
  ShortStatus status = readShortStatus(path_);
  EXPECT_EQ(status.line, "pfd: not running");
  EXPECT_EQ(status.exit_code, 3);
}

}  // namespace
}  // namespace pfd::config
