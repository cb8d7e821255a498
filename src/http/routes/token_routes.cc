// POST /v1/auth/refresh (API.md "Login and the session's life"): refresh token rotation over
// HTTP, the token from the JSON body (header transport) or the refresh cookie (cookie
// transport, with the CSRF checks of any cookie-authenticated unsafe request).

#include <string>

#include "http/body.h"
#include "http/error_response.h"
#include "http/request_auth.h"
#include "http/routes/credentials_response.h"
#include "http/routes/routes.h"
#include "jose/jws.h"

namespace sesame::http {
namespace {

constexpr FieldSpec kRefreshFields[] = {{"refresh_token", FieldType::kString}};

// The refresh cookie's CSRF check: Origin, and X-CSRF-Token against the token of the session
// the refresh token names (derived, so no store read is needed for it).
Result<void> CheckRefreshCsrf(const RouteContext& context, const Request& request,
                              std::string_view session_id) {
  if (auto origin = CheckOrigin(request, context.policy); !origin) {
    return origin;
  }
  const std::string_view sent = request.Header("X-CSRF-Token");
  const std::string expected = context.sessions.jwt().secrets->CsrfToken(session_id);
  if (sent.empty() || !ConstantTimeEquals(sent, expected)) {
    return MakeError(ErrorCode::kCsrfFailed, "missing or wrong X-CSRF-Token");
  }
  return {};
}

Reply Refresh(const RouteContext& context, Request& request) {
  if (context.refresh == nullptr) {
    return ErrorResponse(Error{ErrorCode::kInvalidRequest, "jwt mode is not available"});
  }
  std::string token;
  bool cookie = false;
  if (!request.body.empty()) {
    auto fields = ParseBody(request, kRefreshFields, /*allow_form=*/false);
    if (!fields) {
      return ErrorResponse(fields.error());
    }
    token = std::string(fields->String("refresh_token").value_or(""));
  }
  if (token.empty()) {
    if (auto value = FindCookie(request.Header("Cookie"), context.policy.refresh_cookie_name);
        value && !value->empty()) {
      token = std::string(*value);
      cookie = true;
    }
  }
  if (token.empty()) {
    return ErrorResponse(Error{ErrorCode::kMissingCredentials, "no refresh token"}, !cookie);
  }
  if (token.size() > jose::kMaxTokenSize) {
    return ErrorResponse(Error{ErrorCode::kInvalidToken, {}}, !cookie);
  }
  if (cookie) {
    const auto session_id = context.refresh->SessionIdOf(token);
    if (!session_id) {
      Response r = ErrorResponse(Error{ErrorCode::kInvalidToken, "unknown refresh token"});
      ClearCredentialCookies(r, context.policy);
      return r;
    }
    if (auto csrf = CheckRefreshCsrf(context, request, *session_id); !csrf) {
      return ErrorResponse(csrf.error());
    }
  }
  const std::string ip(request.remote_ip);
  return Deferred{
      &context.store_pool, [&context, token = std::move(token), cookie, ip] {
        auto refreshed = context.refresh->Refresh(token, auth::Actor{{}, ip});
        if (!refreshed) {
          Response r = ErrorResponse(refreshed.error(), !cookie);
          const ErrorCode code = refreshed.error().code;
          if (cookie && code != ErrorCode::kUnavailable) {
            ClearCredentialCookies(r, context.policy);  // the session is over
          }
          return r;
        }
        auto access = context.access_tokens->Issue(refreshed->session, refreshed->user);
        if (!access) {
          return ErrorResponse(access.error(), !cookie);
        }
        IssuedCredentials issued{
            refreshed->session, refreshed->user,          {},
            &*access,           refreshed->refresh_token, refreshed->refresh_expires_at};
        return CredentialsResponse(context, issued, cookie);
      }};
}

}  // namespace

void AddTokenRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kPost, std::string(kRefreshPath),
             [&context](Request& request) { return Refresh(context, request); });
}

}  // namespace sesame::http
