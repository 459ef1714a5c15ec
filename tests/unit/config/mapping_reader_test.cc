#include "daemon/config/mapping_reader.h"

#include <array>
#include <string>

#include "absl/status/status.h"
#include "daemon/config/diagnostics.h"
#include "daemon/config/key_schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {
namespace {

using ::pfd::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::array<KeySpec, 4> kKeys{{{"name"}, {"size"}, {"bytes"}, {"colour"}}};
constexpr MappingShape kShape{"a test mapping", kKeys};

TEST(MappingReaderTest, ReadingAnUndeclaredKeyIsAnInternalError) {
  Diagnostics diagnostics("t.yaml");
  absl::StatusOr<MappingReader> reader =
      MappingReader::open(YAML::Load("name: a"), kShape, "thing", diagnostics);
  ASSERT_OK(reader);
  std::string shade;
  EXPECT_THAT(reader->readString("shade", shade),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("key_schema.cc does not declare")));
}

TEST(MappingReaderTest, AbsentKeysLeaveDefaultsUntouched) {
  Diagnostics diagnostics("t.yaml");
  absl::StatusOr<MappingReader> reader =
      MappingReader::open(YAML::Load("name: a"), kShape, "thing", diagnostics);
  ASSERT_OK(reader);
  int size = 7;
  EXPECT_OK(reader->readInt("size", 0, size));
  EXPECT_EQ(size, 7);
  std::string name = "default";
  EXPECT_OK(reader->readString("name", name));
  EXPECT_EQ(name, "a");
}

TEST(MappingReaderTest, ErrorsNameTheFieldPathAndPosition) {
  Diagnostics diagnostics("t.yaml");
  absl::StatusOr<MappingReader> reader =
      MappingReader::open(YAML::Load("name: a\nsize: big"), kShape, "things[3]", diagnostics);
  ASSERT_OK(reader);
  int size = 0;
  EXPECT_THAT(reader->readInt("size", 0, size),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:2:7: things[3].size: \"big\" is not a whole number; write e.g. 1 "
                       "or 10"));
}

TEST(MappingReaderTest, ByteSizeAboveTheLimitNamesTheLimit) {
  Diagnostics diagnostics("t.yaml");
  absl::StatusOr<MappingReader> reader =
      MappingReader::open(YAML::Load("bytes: 1001\nsize: 2Ki"), kShape, "thing", diagnostics);
  ASSERT_OK(reader);
  size_t bytes = 0;
  EXPECT_THAT(reader->readByteSize("bytes", 1000, bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:1:8: thing.bytes: \"1001\" is too large; write at most 1000 bytes"));
  EXPECT_THAT(reader->readByteSize("size", 1024, bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:2:7: thing.size: \"2Ki\" is too large; write at most 1Ki (1024 "
                       "bytes)"));
  EXPECT_OK(reader->readByteSize("size", 2048, bytes));
  EXPECT_EQ(bytes, 2048u);
}

TEST(MappingReaderTest, ChoiceListsEveryAlternative) {
  constexpr std::array<absl::string_view, 3> kColours{"red", "green", "blue"};
  Diagnostics diagnostics("t.yaml");
  absl::StatusOr<MappingReader> reader =
      MappingReader::open(YAML::Load("colour: Green"), kShape, "thing", diagnostics);
  ASSERT_OK(reader);
  size_t index = 0;
  EXPECT_THAT(reader->readChoice("colour", kColours, "a colour", index),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:1:9: thing.colour: \"Green\" is not a colour; did you mean "
                       "\"green\"? write red, green or blue"));
  absl::StatusOr<MappingReader> good =
      MappingReader::open(YAML::Load("colour: blue"), kShape, "thing", diagnostics);
  ASSERT_OK(good);
  EXPECT_OK(good->readChoice("colour", kColours, "a colour", index));
  EXPECT_EQ(index, 2u);
}

}  // namespace
}  // namespace pfd::config
