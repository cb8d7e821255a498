#include "http/error_response.h"

#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

namespace sesame::http {

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return 400;
    case ErrorCode::kInvalidCredentials:
    case ErrorCode::kMissingCredentials:
    case ErrorCode::kInvalidToken:
    case ErrorCode::kTokenExpired:
    case ErrorCode::kSessionExpired:
    case ErrorCode::kSessionRevoked:
    case ErrorCode::kRefreshTokenReused:
      return 401;
    case ErrorCode::kCsrfFailed:
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUsernameTaken:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kHeadersTooLarge:
      return 431;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInvalidKey:
    case ErrorCode::kInvalidConfig:
    case ErrorCode::kIoError:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

namespace {

const char* MessageFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return "The request is malformed.";
    case ErrorCode::kInvalidCredentials:
      return "Invalid username or password.";
    case ErrorCode::kMissingCredentials:
      return "No credentials: send the session cookie or an Authorization: Bearer header.";
    case ErrorCode::kInvalidToken:
      return "The token is not valid.";
    case ErrorCode::kTokenExpired:
      return "The access token has expired; refresh it.";
    case ErrorCode::kSessionExpired:
      return "The session has timed out; log in again.";
    case ErrorCode::kSessionRevoked:
      return "The session has been logged out.";
    case ErrorCode::kRefreshTokenReused:
      return "The refresh token was already used; the session is now revoked.";
    case ErrorCode::kCsrfFailed:
      return "The CSRF check failed: send X-CSRF-Token from the page's own origin.";
    case ErrorCode::kForbidden:
      return "You are not allowed to do this.";
    case ErrorCode::kNotFound:
      return "Not found.";
    case ErrorCode::kUsernameTaken:
      return "This username is taken.";
    case ErrorCode::kPayloadTooLarge:
      return "The request body is too large.";
    case ErrorCode::kHeadersTooLarge:
      return "The request headers are too large.";
    case ErrorCode::kRateLimited:
      return "Too many attempts; try again later.";
    case ErrorCode::kUnavailable:
      return "The service is temporarily unavailable; try again later.";
    case ErrorCode::kInvalidKey:
    case ErrorCode::kInvalidConfig:
    case ErrorCode::kIoError:
    case ErrorCode::kInternal:
      return "Internal error.";
  }
  return "Internal error.";
}

}  // namespace

Response ErrorResponse(const Error& error, bool bearer) {
  const int status = StatusFor(error.code);
  std::string code(status == 500 ? "internal_error" : ErrorCodeName(error.code));
  std::string message = MessageFor(error.code);
  // Details are for logs, except where they tell the client what to fix in its request, or
  // say why access is refused without revealing anything (never for credentials).
  if ((error.code == ErrorCode::kInvalidRequest || error.code == ErrorCode::kForbidden) &&
      !error.detail.empty()) {
    message = error.detail;
    message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
    if (message.back() != '.') {
      message += '.';
    }
  }
  nlohmann::json body = {{"error", code}, {"message", message}};
  Response r = Response::Json(status, body.dump());
  r.AddHeader("Cache-Control", "no-store");
  // RFC 9110 §15.5.2: every 401 names a scheme. RFC 6750 §3: the error attribute only when
  // bearer credentials were sent.
  if (status == 401) {
    r.AddHeader("WWW-Authenticate",
                bearer ? "Bearer realm=\"sesame\", error=\"invalid_token\", error_description=\"" +
                             std::string(message) + "\""
                       : std::string("Bearer realm=\"sesame\""));
  }
  if (error.code == ErrorCode::kRateLimited || error.code == ErrorCode::kUnavailable) {
    r.AddHeader("Retry-After",
                std::to_string(error.retry_after_seconds > 0 ? error.retry_after_seconds : 1));
  }
  return r;
}

}  // namespace sesame::http
