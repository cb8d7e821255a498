#pragma once

// GoogleTest matchers for Result<T>: EXPECT_THAT(r, HasError(ErrorCode::kTokenExpired)),
// EXPECT_THAT(r, IsOk()). Failure messages show the error's code and detail.

#include <ostream>

#include <gmock/gmock.h>

#include "common/result.h"

namespace sesame {

inline void PrintTo(const Error& e, std::ostream* os) {
  *os << ErrorCodeName(e.code) << ": " << e.detail;
}

namespace testing {

MATCHER(IsOk, "succeeds") {
  if (arg.has_value()) {
    return true;
  }
  *result_listener << "failed with " << ErrorCodeName(arg.error().code) << ": "
                   << arg.error().detail;
  return false;
}

MATCHER_P(HasError, code, "fails with " + std::string(ErrorCodeName(code))) {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << "failed with " << ErrorCodeName(arg.error().code) << ": "
                   << arg.error().detail;
  return arg.error().code == code;
}

// Also checks that the detail mentions a phrase, for tests that pin down which rule fired.
MATCHER_P2(HasErrorMentioning, code, phrase,
           "fails with " + std::string(ErrorCodeName(code)) + " mentioning \"" +
               std::string(phrase) + "\"") {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << "failed with " << ErrorCodeName(arg.error().code) << ": "
                   << arg.error().detail;
  return arg.error().code == code && arg.error().detail.find(phrase) != std::string::npos;
}

}  // namespace testing
}  // namespace sesame
