#pragma once

#include <utility>

#include "absl/status/status.h"

// absl 20220623 does not ship its status macros publicly; these are the two the loader needs.
#define PFD_RETURN_IF_ERROR(expression)                               \
  do {                                                                \
    if (::absl::Status pfd_status = (expression); !pfd_status.ok()) { \
      return pfd_status;                                              \
    }                                                                 \
  } while (false)

#define PFD_STATUS_CONCAT_INNER(a, b) a##b
#define PFD_STATUS_CONCAT(a, b) PFD_STATUS_CONCAT_INNER(a, b)
#define PFD_ASSIGN_OR_RETURN(lhs, expression) \
  PFD_ASSIGN_OR_RETURN_IMPL(PFD_STATUS_CONCAT(pfd_status_or_, __LINE__), lhs, expression)
#define PFD_ASSIGN_OR_RETURN_IMPL(status_or, lhs, expression) \
  auto status_or = (expression);                              \
  if (!status_or.ok()) {                                      \
    return status_or.status();                                \
  }                                                           \
  lhs = std::move(*status_or)
