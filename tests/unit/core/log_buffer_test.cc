#include "daemon/core/log_buffer.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::core {
namespace {

using ::testing::ElementsAre;

LogLine output(const std::string& text) {
  return {.source = LogLine::Source::kStdout, .text = text};
}
LogLine note(const std::string& text) { return {.source = LogLine::Source::kPfd, .text = text}; }

std::vector<std::string> texts(const std::vector<LogLine>& lines) {
  std::vector<std::string> result;
  for (const LogLine& line : lines) {
    result.push_back(line.text);
  }
  return result;
}

TEST(LogBufferTest, TailInterleavesOutputAndNotesInTheOrderTheyCame) {
  LogBuffer buffer;
  buffer.append(note("started pid 7"));
  buffer.append(output("Forwarding from 127.0.0.1:8080 -> 80"));
  buffer.append(note("STARTING -> READY"));
  buffer.append(output("Handling connection for 8080"));
  EXPECT_THAT(texts(buffer.tail(0)),
              ElementsAre("started pid 7", "Forwarding from 127.0.0.1:8080 -> 80",
                          "STARTING -> READY", "Handling connection for 8080"));
  EXPECT_THAT(texts(buffer.tail(2)),
              ElementsAre("STARTING -> READY", "Handling connection for 8080"));
  EXPECT_EQ(buffer.tail(10).size(), 4u);
}

TEST(LogBufferTest, NotesNeverCrowdOutOutputLines) {
  LogBuffer buffer(3);
  for (int i = 0; i < 3; ++i) {
    buffer.append(output("out " + std::to_string(i)));
  }
  for (int i = 0; i < 10; ++i) {
    buffer.append(note("note " + std::to_string(i)));
  }
  EXPECT_THAT(texts(buffer.tail(0)),
              ElementsAre("out 0", "out 1", "out 2", "note 7", "note 8", "note 9"));
}

TEST(LogBufferTest, KeepsTheLastCapacityOutputLines) {
  LogBuffer buffer(2);
  buffer.append(output("a"));
  buffer.append(note("n"));
  buffer.append(output("b"));
  buffer.append(output("c"));
  EXPECT_THAT(texts(buffer.tail(0)), ElementsAre("n", "b", "c"));
}

}  // namespace
}  // namespace pfd::core
