#include "client/render/duration_format.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pfd::client {
namespace {

constexpr int64_t kHoursPerDay = 24;
constexpr int64_t kDaysPerYear = 365;

// "<major><major_unit><minor><minor_unit>", leaving out a zero minor part.
std::string twoUnits(int64_t major, const char* major_unit, int64_t minor, const char* minor_unit) {
  if (minor == 0) {
    return absl::StrCat(major, major_unit);
  }
  return absl::StrCat(major, major_unit, minor, minor_unit);
}

}  // namespace

std::string humanDuration(absl::Duration duration) {
  const int64_t seconds = absl::ToInt64Seconds(duration);
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  if (seconds < 2 * 60) {
    return absl::StrCat(seconds, "s");
  }
  const int64_t minutes = absl::ToInt64Minutes(duration);
  if (minutes < 10) {
    return twoUnits(minutes, "m", seconds % 60, "s");
  }
  if (minutes < 3 * 60) {
    return absl::StrCat(minutes, "m");
  }
  const int64_t hours = absl::ToInt64Hours(duration);
  if (hours < 8) {
    return twoUnits(hours, "h", minutes % 60, "m");
  }
  if (hours < 2 * kHoursPerDay) {
    return absl::StrCat(hours, "h");
  }
  const int64_t days = hours / kHoursPerDay;
  if (hours < 8 * kHoursPerDay) {
    return twoUnits(days, "d", hours % kHoursPerDay, "h");
  }
  if (days < 2 * kDaysPerYear) {
    return absl::StrCat(days, "d");
  }
  if (days < 8 * kDaysPerYear) {
    return twoUnits(days / kDaysPerYear, "y", days % kDaysPerYear, "d");
  }
  return absl::StrCat(days / kDaysPerYear, "y");
}

std::string formatLatency(absl::Duration latency) {
  if (latency < absl::Milliseconds(1)) {
    return absl::StrCat(absl::ToInt64Microseconds(latency), "us");
  }
  if (latency < absl::Seconds(1)) {
    return absl::StrCat(absl::ToInt64Milliseconds(latency), "ms");
  }
  if (latency < absl::Seconds(10)) {
    return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(latency));
  }
  return absl::StrCat(absl::ToInt64Seconds(latency), "s");
}

}  // namespace pfd::client
