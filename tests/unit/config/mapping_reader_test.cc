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

constexpr std::array<KeySpec, 2> kKeys{{{"name"}, {"size"}}};
constexpr MappingShape kShape{"a test mapping", kKeys};

TEST(MappingReaderTest, ReadingAnUndeclaredKeyIsAnInternalError) {
  Diagnostics diagnostics("t.yaml");
  absl::StatusOr<MappingReader> reader =
      MappingReader::open(YAML::Load("name: a"), kShape, "thing", diagnostics);
  ASSERT_OK(reader);
  std::string colour;
  EXPECT_THAT(reader->readString("colour", colour),
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

}  // namespace
}  // namespace pfd::config
