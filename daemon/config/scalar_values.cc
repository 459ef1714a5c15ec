#include "daemon/config/scalar_values.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {
namespace {

constexpr absl::string_view kDurationExample = "a duration such as 500ms, 30s, 2m or 1m30s";
constexpr absl::string_view kDurationHint = "write a duration such as 500ms, 30s, 2m or 1m30s";
constexpr absl::string_view kByteSizeExample = "a byte size such as 65536, 64Ki or 1Mi";
constexpr absl::string_view kByteSizeHint =
    "write a whole number of bytes (e.g. 65536) or a size with a binary suffix, Ki or Mi "
    "(e.g. 64Ki, 1Mi)";

// yaml-cpp tags an untagged plain scalar "?" and a quoted one "!".
bool isPlain(const YAML::Node& node) { return node.Tag() == "?"; }

absl::Status notScalar(const YAML::Node& node, absl::string_view wanted) {
  return absl::InvalidArgumentError(absl::StrCat("is ", describeNode(node), "; write ", wanted));
}

}  // namespace

std::string describeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", node.Scalar(), "\"");
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "empty (null)";
}

absl::StatusOr<std::string> scalarString(const YAML::Node& node) {
  if (node.IsNull()) {
    return absl::InvalidArgumentError(
        "has no value; write a string (quote a path that starts with ~, since a bare ~ is null "
        "in YAML)");
  }
  if (!node.IsScalar()) {
    return notScalar(node, "a string");
  }
  return node.Scalar();
}

absl::StatusOr<bool> scalarBool(const YAML::Node& node) {
  if (!node.IsScalar()) {
    return notScalar(node, "true or false");
  }
  const std::string& text = node.Scalar();
  if (isPlain(node)) {
    // The YAML 1.2 core schema spellings; yes/no/on/off are YAML 1.1 and strings in 1.2.
    if (text == "true" || text == "True" || text == "TRUE") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      return false;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a boolean; write true or false"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is a quoted string; write true or false without quotes"));
}

absl::StatusOr<int> scalarInt(const YAML::Node& node) {
  if (!node.IsScalar()) {
    return notScalar(node, "a whole number");
  }
  const std::string& text = node.Scalar();
  int value = 0;
  if (!isPlain(node)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is a quoted string; write a whole number without quotes"));
  }
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a whole number; write e.g. 1 or 10"));
  }
  return value;
}

absl::StatusOr<double> scalarNumber(const YAML::Node& node) {
  if (!node.IsScalar()) {
    return notScalar(node, "a number");
  }
  const std::string& text = node.Scalar();
  double value = 0;
  if (!isPlain(node)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is a quoted string; write a number without quotes"));
  }
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a number; write e.g. 2 or 0.2"));
  }
  return value;
}

absl::StatusOr<core::Milliseconds> scalarDuration(const YAML::Node& node) {
  if (!node.IsScalar()) {
    return notScalar(node, kDurationExample);
  }
  std::string text(absl::StripAsciiWhitespace(node.Scalar()));
  double number = 0;
  // SimpleAtod also reads "inf" and "nan", which are no more numbers here than durations.
  if (absl::SimpleAtod(text, &number) && std::isfinite(number)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" has no unit; ", kDurationHint));
  }
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration == absl::InfiniteDuration() ||
      duration == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a duration; ", kDurationHint));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is negative; ", kDurationHint));
  }
  // No delay or timeout of pfd sensibly exceeds a year: a longer one is a typo ("300000h").
  if (duration > absl::Hours(24 * 365)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is longer than a year; ", kDurationHint));
  }
  return core::Milliseconds(absl::ToInt64Milliseconds(duration));
}

absl::StatusOr<uint64_t> scalarByteSize(const YAML::Node& node) {
  if (!node.IsScalar()) {
    return notScalar(node, kByteSizeExample);
  }
  const std::string& text = node.Scalar();
  absl::string_view digits = text;
  uint64_t unit = 1;
  if (absl::ConsumeSuffix(&digits, "Ki")) {
    unit = uint64_t{1} << 10;
  } else if (absl::ConsumeSuffix(&digits, "Mi")) {
    unit = uint64_t{1} << 20;
  }
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a byte size; ", kByteSizeHint));
  }
  // "65536" in quotes is a string to YAML and to the JSON Schema; "64Ki" is one either way.
  if (unit == 1 && !isPlain(node)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" is a quoted string; write a number of bytes without quotes, or a size "
                     "such as 64Ki or 1Mi"));
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t count = 0;
  for (char digit : digits) {
    uint64_t value = static_cast<uint64_t>(digit - '0');
    if (count > (kMax - value) / 10) {
      return kMax;
    }
    count = count * 10 + value;
  }
  return count > kMax / unit ? kMax : count * unit;
}

std::string formatDuration(core::Milliseconds duration) {
  return absl::FormatDuration(absl::Milliseconds(duration.count()));
}

}  // namespace pfd::config
