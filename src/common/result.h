#pragma once

// Result<T> and Error: how every sesame function that can fail reports it.
// An Error carries a code that decides behaviour (the error codes of API.md plus a few for
// operators) and a detail for people and logs. A detail never holds a secret, a password or a
// whole token. Plain values; thread-compatible.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace sesame {

enum class ErrorCode {
  // Codes of the HTTP contract (API.md). Their names are ErrorCodeName().
  kInvalidRequest,
  kInvalidCredentials,
  kMissingCredentials,
  kInvalidToken,
  kTokenExpired,
  kSessionExpired,
  kSessionRevoked,
  kRefreshTokenReused,
  kCsrfFailed,
  kForbidden,
  kNotFound,
  kUsernameTaken,
  kPayloadTooLarge,
  kHeadersTooLarge,
  kRateLimited,
  kUnavailable,
  // Codes for operators and the command line; never sent to an HTTP client as such.
  kInvalidKey,     // key material that cannot be used (wrong size, curve, type, corrupt)
  kInvalidConfig,  // a setting that cannot be used
  kIoError,        // a file could not be read or written
  kInternal,       // a library failed in a way we did not expect
};

// The snake_case code, as written in API.md ("invalid_token").
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string detail;  // one human sentence, no secrets
  // For kRateLimited and kUnavailable: when to come back (Retry-After); 0 when unknown.
  int64_t retry_after_seconds = 0;

  friend bool operator==(const Error&, const Error&) = default;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string detail) {
  return tl::unexpected<Error>(Error{code, std::move(detail)});
}

}  // namespace sesame
