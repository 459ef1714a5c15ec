#include "daemon/process/line_splitter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::process {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LineSplitterTest : public ::testing::Test {
 protected:
  void feed(std::string_view data) {
    splitter_.feed(data, [this](std::string_view line) { lines_.emplace_back(line); });
  }
  void finish() {
    splitter_.finish([this](std::string_view line) { lines_.emplace_back(line); });
  }

  LineSplitter splitter_{/*max_line_length=*/8};
  std::vector<std::string> lines_;
};

TEST_F(LineSplitterTest, DeliversEachCompleteLineWithoutItsNewline) {
  feed("one\ntwo\n");
  EXPECT_THAT(lines_, ElementsAre("one", "two"));
}

TEST_F(LineSplitterTest, KeepsAPartialLineUntilItsNewlineArrives) {
  feed("par");
  EXPECT_THAT(lines_, IsEmpty());
  feed("tial\nnext");
  EXPECT_THAT(lines_, ElementsAre("partial"));
  feed("\n");
  EXPECT_THAT(lines_, ElementsAre("partial", "next"));
}

TEST_F(LineSplitterTest, StripsCarriageReturnNewline) {
  feed("dos\r\nunix\n");
  EXPECT_THAT(lines_, ElementsAre("dos", "unix"));
}

TEST_F(LineSplitterTest, StripsCarriageReturnNewlineSplitAcrossReads) {
  feed("dos\r");
  feed("\n");
  EXPECT_THAT(lines_, ElementsAre("dos"));
}

TEST_F(LineSplitterTest, KeepsACarriageReturnInsideALine) {
  feed("a\rb\n");
  EXPECT_THAT(lines_, ElementsAre("a\rb"));
}

TEST_F(LineSplitterTest, DeliversEmptyLines) {
  feed("\n\nx\n");
  EXPECT_THAT(lines_, ElementsAre("", "", "x"));
}

TEST_F(LineSplitterTest, FinishDeliversAFinalLineWithoutNewline) {
  feed("done\nlast");
  finish();
  EXPECT_THAT(lines_, ElementsAre("done", "last"));
}

TEST_F(LineSplitterTest, FinishDeliversNothingAfterACompleteLine) {
  feed("done\n");
  finish();
  EXPECT_THAT(lines_, ElementsAre("done"));
}

TEST_F(LineSplitterTest, FinishStripsATrailingCarriageReturn) {
  feed("last\r");
  finish();
  EXPECT_THAT(lines_, ElementsAre("last"));
}

TEST_F(LineSplitterTest, SplitsALongLineInOneReadAtTheCap) {
  feed("abcdefghijklmnopqrs\n");
  EXPECT_THAT(lines_, ElementsAre("abcdefgh", "ijklmnop", "qrs"));
}

TEST_F(LineSplitterTest, SplitsALongLineWithoutNewlineBeforeItEnds) {
  feed("abcdefghij");
  EXPECT_THAT(lines_, ElementsAre("abcdefgh"));
  feed("klmnopqrs");
  EXPECT_THAT(lines_, ElementsAre("abcdefgh", "ijklmnop"));
  finish();
  EXPECT_THAT(lines_, ElementsAre("abcdefgh", "ijklmnop", "qrs"));
}

TEST_F(LineSplitterTest, LineOfExactlyTheCapIsOneLine) {
  feed("abcdefgh");
  feed("\n");
  feed("12345678\n");
  EXPECT_THAT(lines_, ElementsAre("abcdefgh", "12345678"));
}

TEST_F(LineSplitterTest, LineOfTwiceTheCapIsTwoLinesWithoutAnEmptyOne) {
  feed("abcdefgh12345678");
  feed("\n");
  feed("abcdefgh12345678\n");
  EXPECT_THAT(lines_, ElementsAre("abcdefgh", "12345678", "abcdefgh", "12345678"));
}

TEST_F(LineSplitterTest, CarriageReturnNewlineRightAfterTheCapIsNotALineOfItsOwn) {
  feed("abcdefgh\r");
  feed("\n");
  EXPECT_THAT(lines_, ElementsAre("abcdefgh"));
}

TEST_F(LineSplitterTest, ByteByByteReadsGiveTheSameLinesAsOneRead) {
  const std::string output = "first\r\n\nsecond line that is long\nthird\r\nno newline";
  LineSplitter whole(8);
  std::vector<std::string> expected;
  auto collect = [&](std::string_view line) { expected.emplace_back(line); };
  whole.feed(output, collect);
  whole.finish(collect);

  for (char c : output) {
    feed(std::string_view(&c, 1));
  }
  finish();
  EXPECT_EQ(lines_, expected);
  EXPECT_THAT(expected, ElementsAre("first", "", "second l", "ine that", " is long", "third",
                                    "no newli", "ne"));
}

TEST(LineSplitterDefaultsTest, DefaultCapIsEightKibibytes) {
  LineSplitter splitter;
  std::vector<size_t> sizes;
  splitter.feed(std::string(20000, 'x') + "\n",
                [&](std::string_view line) { sizes.push_back(line.size()); });
  EXPECT_THAT(sizes, ElementsAre(8192, 8192, 20000 - 2 * 8192));
}

}  // namespace
}  // namespace pfd::process
