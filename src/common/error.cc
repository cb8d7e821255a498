#include "common/result.h"

namespace sesame {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return "invalid_request";
    case ErrorCode::kInvalidCredentials:
      return "invalid_credentials";
    case ErrorCode::kMissingCredentials:
      return "missing_credentials";
    case ErrorCode::kInvalidToken:
      return "invalid_token";
    case ErrorCode::kTokenExpired:
      return "token_expired";
    case ErrorCode::kSessionExpired:
      return "session_expired";
    case ErrorCode::kSessionRevoked:
      return "session_revoked";
    case ErrorCode::kRefreshTokenReused:
      return "refresh_token_reused";
    case ErrorCode::kCsrfFailed:
      return "csrf_failed";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kUsernameTaken:
      return "username_taken";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kHeadersTooLarge:
      return "headers_too_large";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInvalidKey:
      return "invalid_key";
    case ErrorCode::kInvalidConfig:
      return "invalid_config";
    case ErrorCode::kIoError:
      return "io_error";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace sesame
