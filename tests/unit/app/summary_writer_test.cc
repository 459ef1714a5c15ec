#include "daemon/app/summary_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "daemon/config/summary_file.h"
#include "gtest/gtest.h"
#include "tests/fakes/simulated_dispatcher.h"
#include "tests/unit/app/private_temp_dir.h"

namespace pfd::app {
namespace {

using std::chrono::milliseconds;

class SummaryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  std::unique_ptr<SummaryWriter> makeWriter() {
    return std::make_unique<SummaryWriter>(dispatcher_, dir_.file("pfd.sock.summary"),
                                           [this] { return summary_; });
  }
  std::string contents() const {
    std::ifstream in(dir_.file("pfd.sock.summary"));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  bool exists() const { return access(dir_.file("pfd.sock.summary").c_str(), F_OK) == 0; }

  testing::PrivateTempDir dir_;
  pfd::testing::SimulatedDispatcher dispatcher_;
  core::StatusSummary summary_{.line = "pfd: 1/1 ready", .healthy = true};
};

TEST_F(SummaryWriterTest, WritesTheLineWithItsPidPrivately) {
  auto writer = makeWriter();
  writer->changed();
  EXPECT_FALSE(exists()) << "written on the next loop turn, with whatever else changed in this one";
  dispatcher_.advance(milliseconds(0));
  ASSERT_TRUE(exists());
  std::optional<config::SummaryRecord> record = config::parseSummaryFile(contents());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->line, "pfd: 1/1 ready");
  EXPECT_EQ(record->pid, getpid());
  EXPECT_EQ(record->start_time, config::processStartTime(getpid()));
  EXPECT_EQ(record->exit_code, 0);
  struct stat info {};
  ASSERT_EQ(stat(dir_.file("pfd.sock.summary").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(access(dir_.file("pfd.sock.summary.tmp").c_str(), F_OK), -1) << "renamed into place";
  EXPECT_EQ(config::readShortStatus(dir_.file("pfd.sock.summary")).line, "pfd: 1/1 ready");
}

TEST_F(SummaryWriterTest, ADownForwardExitsThree) {
  auto writer = makeWriter();
  summary_ = {.line = "pfd: 0/1 ready, web down", .healthy = false};
  writer->changed();
  dispatcher_.advance(milliseconds(0));
  EXPECT_EQ(config::parseSummaryFile(contents())->exit_code, 3);
}

TEST_F(SummaryWriterTest, CoalescesChurnToAFewWritesPerSecond) {
  auto writer = makeWriter();
  // 200 forwards changing state every 10 ms for two seconds: 40000 changes.
  for (int tick = 0; tick < 200; ++tick) {
    for (int forward = 0; forward < 200; ++forward) {
      summary_.line = "pfd: " + std::to_string(tick) + "/" + std::to_string(forward);
      writer->changed();
    }
    dispatcher_.advance(milliseconds(10));
  }
  EXPECT_LE(writer->writes(), 2000u / SummaryWriter::kDefaultMinInterval.count() + 2);
  EXPECT_GE(writer->writes(), 4u);
  dispatcher_.advance(SummaryWriter::kDefaultMinInterval);
  EXPECT_EQ(config::parseSummaryFile(contents())->line, summary_.line) << "the last one lands";
}

TEST_F(SummaryWriterTest, AnUnchangedSummaryIsNotWrittenAgain) {
  auto writer = makeWriter();
  writer->changed();
  dispatcher_.advance(milliseconds(0));
  dispatcher_.advance(SummaryWriter::kDefaultMinInterval);
  writer->changed();
  dispatcher_.advance(SummaryWriter::kDefaultMinInterval);
  EXPECT_EQ(writer->writes(), 1u);
}

TEST_F(SummaryWriterTest, SaysStoppingAndRemovesTheFileOnExit) {
  auto writer = makeWriter();
  writer->changed();
  dispatcher_.advance(milliseconds(0));
  writer->stopping();
  EXPECT_EQ(config::parseSummaryFile(contents())->line, "pfd: stopping");
  writer->changed();
  dispatcher_.advance(SummaryWriter::kDefaultMinInterval);
  EXPECT_EQ(config::parseSummaryFile(contents())->line, "pfd: stopping") << "changes ignored now";
  writer.reset();
  EXPECT_FALSE(exists());
}

}  // namespace
}  // namespace pfd::app
