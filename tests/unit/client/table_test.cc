#include "client/render/table.h"

#include <sstream>

#include "client/render/streaming_table.h"
#include "client/render/table_line.h"
#include "gtest/gtest.h"

namespace pfd::client {
namespace {

TEST(TableTest, PadsColumnsLikeKubectlAndLeavesTheLastOneUnpadded) {
  Table table({"NAME", "STATE", "LAST ERROR"});
  table.addRow({Cell{"web"}, Cell{"READY"}, Cell{"<none>"}});
  table.addRow({Cell{"a-much-longer-name"}, Cell{"BACKOFF"}, Cell{"exited"}});
  std::ostringstream out;
  table.print(out, TableStyle{});
  // At least 10 columns each, else the widest cell plus 3 spaces.
  EXPECT_EQ(out.str(),
            "NAME                 STATE     LAST ERROR\n"
            "web                  READY     <none>\n"
            "a-much-longer-name   BACKOFF   exited\n");
}

TEST(TableTest, PrintsNoColourCodesWhenColourIsOff) {
  Table table({"NAME", "STATE"});
  table.addRow({Cell{"web"}, Cell{"READY", Color::kGreen}});
  std::ostringstream out;
  table.print(out, TableStyle{.color = false});
  EXPECT_EQ(out.str().find('\033'), std::string::npos);
}

TEST(TableTest, ColoursOnlyTheCellTextSoColumnsStayAligned) {
  Table table({"STATE", "NAME"});
  table.addRow({Cell{"FAILED", Color::kRed}, Cell{"db"}});
  table.addRow({Cell{"READY", Color::kGreen}, Cell{"web"}});
  std::ostringstream out;
  table.print(out, TableStyle{.color = true});
  EXPECT_EQ(out.str(),
            "STATE     NAME\n"
            "\033[31mFAILED\033[0m    db\n"
            "\033[32mREADY\033[0m     web\n");
}

TEST(TableTest, CutsTheLastColumnToTheWidth) {
  Table table({"NAME", "LAST ERROR"});
  table.addRow({Cell{"web"}, Cell{"connection refused by the pod on port 8000"}});
  std::ostringstream out;
  table.print(out, TableStyle{.max_width = 30});
  EXPECT_EQ(out.str(),
            "NAME      LAST ERROR\n"
            "web       connection refuse...\n");
}

TEST(TableTest, NarrowTerminalStillShowsTheStartOfTheLastColumn) {
  Table table({"NAME", "LAST ERROR"});
  table.addRow({Cell{"web"}, Cell{"connection refused by the pod on port 8000"}});
  std::ostringstream out;
  table.print(out, TableStyle{.max_width = 12});
  EXPECT_EQ(out.str(),
            "NAME      LAST ERROR\n"
            "web       connection refuse...\n");
}

TEST(TableTest, KeepsEveryCharacterWithoutAWidth) {
  Table table({"NAME", "LAST ERROR"});
  const std::string error(300, 'x');
  table.addRow({Cell{"web"}, Cell{error}});
  std::ostringstream out;
  table.print(out, TableStyle{});
  EXPECT_NE(out.str().find(error), std::string::npos);
}

TEST(TableTest, TurnsLineBreaksInCellsIntoSpaces) {
  Table table({"NAME", "LAST ERROR"});
  table.addRow({Cell{"web"}, Cell{"first line\nsecond\tline"}});
  std::ostringstream out;
  table.print(out, TableStyle{});
  EXPECT_EQ(out.str(),
            "NAME      LAST ERROR\n"
            "web       first line second line\n");
}

TEST(TruncateToWidthTest, LeavesShortTextAlone) { EXPECT_EQ(truncateToWidth("abc", 3), "abc"); }

TEST(TruncateToWidthTest, EndsCutTextWithEllipsis) {
  EXPECT_EQ(truncateToWidth("abcdefgh", 6), "abc...");
  EXPECT_EQ(truncateToWidth("abcdefgh", 2), "..");
  EXPECT_EQ(truncateToWidth("abcdefgh", 0), "");
}

TEST(TruncateToWidthTest, CountsCodePointsAndNeverSplitsThem) {
  // "héllo wörld" is 11 columns, 13 bytes.
  EXPECT_EQ(displayWidth("héllo wörld"), 11u);
  EXPECT_EQ(truncateToWidth("héllo wörld", 11), "héllo wörld");
  EXPECT_EQ(truncateToWidth("héllo wörld", 5), "hé...");
}

TEST(StreamingTableTest, PrintsTheHeaderWithTheFirstRowOnly) {
  StreamingTable table({"NAME", "STATE", "REASON"}, TableStyle{});
  std::ostringstream out;
  table.print(out, {Cell{"web"}, Cell{"STARTING"}, Cell{"started"}});
  table.print(out, {Cell{"web"}, Cell{"READY"}, Cell{"ports forwarded"}});
  EXPECT_EQ(out.str(),
            "NAME      STATE      REASON\n"
            "web       STARTING   started\n"
            "web       READY      ports forwarded\n");
}

TEST(StreamingTableTest, RowsPrintedTogetherShareTheirWidths) {
  StreamingTable table({"NAME", "STATE"}, TableStyle{});
  std::ostringstream out;
  table.print(out, std::vector<Row>{{Cell{"web"}, Cell{"READY"}},
                                    {Cell{"a-very-long-forward"}, Cell{"READY"}}});
  table.print(out, std::vector<Row>{});
  EXPECT_EQ(out.str(),
            "NAME                  STATE\n"
            "web                   READY\n"
            "a-very-long-forward   READY\n");
}

TEST(StreamingTableTest, WidensAColumnForALaterWiderCell) {
  StreamingTable table({"NAME", "STATE"}, TableStyle{});
  std::ostringstream out;
  table.print(out, {Cell{"web"}, Cell{"READY"}});
  table.print(out, {Cell{"a-very-long-forward"}, Cell{"READY"}});
  table.print(out, {Cell{"web"}, Cell{"BACKOFF"}});
  EXPECT_EQ(out.str(),
            "NAME      STATE\n"
            "web       READY\n"
            "a-very-long-forward   READY\n"
            "web                   BACKOFF\n");
}

}  // namespace
}  // namespace pfd::client
