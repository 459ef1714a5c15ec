#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pfd::testing {

inline const absl::Status& toStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& toStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// StatusIs(code, message_matcher): matches a Status or StatusOr with that code and message.
MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has status code ") + absl::StatusCodeToString(code)) {
  const absl::Status& status = toStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

// IsOkAndHolds(matcher): a StatusOr that is OK and whose value matches.
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = toStatus(arg);
  *result_listener << "whose status is " << status;
  return status.ok();
}

}  // namespace pfd::testing

#define EXPECT_OK(expression) EXPECT_THAT(expression, ::pfd::testing::IsOk())
#define ASSERT_OK(expression) ASSERT_THAT(expression, ::pfd::testing::IsOk())
