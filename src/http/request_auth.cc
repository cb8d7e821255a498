#include "http/request_auth.h"

#include <algorithm>

#include "auth/session_secrets.h"
#include "common/secret_bytes.h"
#include "http/body.h"
#include "http/error_response.h"
#include "jose/jws.h"

namespace sesame::http {
namespace {

Response Fail(ErrorCode code, const Credential& credential, std::string detail = {}) {
  return ErrorResponse(Error{code, std::move(detail)},
                       credential.kind == Credential::Kind::kBearer);
}

}  // namespace

Credential ExtractCredential(const Request& request, const HttpPolicy& policy) {
  const std::string_view authorization = request.Header("Authorization");
  if (authorization.size() > 7 &&
      (authorization.substr(0, 7) == "Bearer " || authorization.substr(0, 7) == "bearer ")) {
    std::string_view token = authorization.substr(7);
    while (!token.empty() && token.front() == ' ') {
      token.remove_prefix(1);
    }
    return Credential{Credential::Kind::kBearer, token};
  }
  const std::string_view cookies = request.Header("Cookie");
  if (!cookies.empty()) {
    if (auto value = FindCookie(cookies, policy.session_cookie_name); value && !value->empty()) {
      return Credential{Credential::Kind::kCookie, *value};
    }
  }
  return {};
}

std::string OriginOf(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  const size_t host_end = url.find_first_of("/?#", scheme_end + 3);
  return std::string(url.substr(0, host_end));
}

std::string RequestOrigin(const Request& request) {
  const std::string_view origin = request.Header("Origin");
  if (!origin.empty()) {
    return std::string(origin);
  }
  return OriginOf(request.Header("Referer"));
}

std::string OwnOrigin(const Request& request, const HttpPolicy& policy) {
  if (!policy.public_origin.empty()) {
    return policy.public_origin;
  }
  const std::string_view host =
      request.forwarded_host.empty() ? request.Header("Host") : request.forwarded_host;
  if (host.empty()) {
    return {};
  }
  return std::string(request.is_tls ? "https://" : "http://") + std::string(host);
}

Result<void> CheckOrigin(const Request& request, const HttpPolicy& policy) {
  const std::string origin = RequestOrigin(request);
  if (origin.empty() || origin == "null") {
    return MakeError(ErrorCode::kCsrfFailed, "no Origin or Referer");
  }
  const std::string own = OwnOrigin(request, policy);
  if (!own.empty() && origin == own) {
    return {};
  }
  if (std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), origin) !=
      policy.allowed_origins.end()) {
    return {};
  }
  return MakeError(ErrorCode::kCsrfFailed, "foreign origin");
}

Result<void> CheckCsrf(const Request& request, std::string_view expected,
                       const HttpPolicy& policy) {
  return CheckCsrf(request, request.Header("X-CSRF-Token"), expected, policy);
}

Result<void> CheckCsrf(const Request& request, std::string_view presented,
                       std::string_view expected, const HttpPolicy& policy) {
  if (auto origin = CheckOrigin(request, policy); !origin) {
    return origin;
  }
  // A session without a CSRF token (made for header transport) never passes a cookie check.
  if (expected.empty() || presented.empty() || !ConstantTimeEquals(presented, expected)) {
    return MakeError(ErrorCode::kCsrfFailed, "missing or wrong CSRF token");
  }
  return {};
}

std::string FormCsrfToken(const Request& request) {
  return FormField(request, "csrf_token");
}

std::string ExpectedCsrfToken(const RouteContext& context, const auth::CachedSession& session) {
  if (session.mode != store::SessionMode::kJwt) {
    return session.csrf_token;
  }
  // A jwt session's token is derived from its id (no store read).
  const auth::SessionSecrets* secrets = context.sessions.jwt().secrets;
  return secrets != nullptr ? secrets->CsrfToken(session.session_id) : std::string();
}

void ClearCredentialCookies(Response& response, const HttpPolicy& policy) {
  response.AddHeader("Set-Cookie",
                     BuildSetCookie(policy.session_cookie_name, "", policy.cookie, 0));
  if (!policy.refresh_cookie_name.empty()) {
    response.AddHeader("Set-Cookie", BuildSetCookie(policy.refresh_cookie_name, "", policy.cookie,
                                                    0, kRefreshPath));
  }
}

Response Complete(Reply reply) {
  if (auto* deferred = std::get_if<Deferred>(&reply)) {
    return deferred->work();
  }
  return std::move(std::get<Response>(reply));
}

namespace {

Response Refuse(const RouteContext& context, const Request& request, const Credential& credential,
                const AuthStyle& style, ErrorCode code) {
  if (style.on_failure != nullptr) {
    return style.on_failure(context, request, credential, Error{code, {}});
  }
  return Fail(code, credential);
}

Reply Proceed(const RouteContext& context, Request& request, const Credential& credential,
              Result<auth::Authenticated> auth, const AuthedHandler& handler,
              const AuthStyle& style) {
  if (!auth) {
    return Refuse(context, request, credential, style, auth.error().code);
  }
  if (credential.kind == Credential::Kind::kCookie && IsUnsafe(request.method)) {
    // Computed only here, where a cookie makes an unsafe request (a jwt session's is an HMAC).
    const std::string expected = ExpectedCsrfToken(context, *auth->session);
    const Result<void> csrf =
        style.csrf_in_form ? CheckCsrf(request, FormCsrfToken(request), expected, context.policy)
                           : CheckCsrf(request, expected, context.policy);
    if (!csrf) {
      Response r = Refuse(context, request, credential, style, ErrorCode::kCsrfFailed);
      r.session_id = auth->session->session_id;
      return r;
    }
  }
  Caller caller{std::move(*auth), credential};
  Reply reply = handler(request, caller);
  if (auto* response = std::get_if<Response>(&reply)) {
    response->session_id = caller.session().session_id;
  }
  return reply;
}

}  // namespace

Reply WithSession(const RouteContext& context, Request& request, const AuthedHandler& handler,
                  const AuthStyle& style) {
  const Credential credential = ExtractCredential(request, context.policy);
  if (credential.kind == Credential::Kind::kNone) {
    return Refuse(context, request, credential, style, ErrorCode::kMissingCredentials);
  }
  if (credential.token.size() > jose::kMaxTokenSize || credential.token.empty()) {
    return Refuse(context, request, credential, style, ErrorCode::kInvalidToken);
  }
  if (credential.token.find('.') != std::string_view::npos) {
    // An access JWT (a session secret has no dot): signature, claims, revocation set. No store.
    if (context.access_tokens == nullptr) {
      return Refuse(context, request, credential, style, ErrorCode::kInvalidToken);
    }
    auto session = context.access_tokens->Authenticate(credential.token);
    if (!session) {
      return Refuse(context, request, credential, style, session.error().code);
    }
    return Proceed(context, request, credential,
                   auth::Authenticated{std::move(*session), context.clock.Now()}, handler, style);
  }
  if (auto cached = context.sessions.FindCached(credential.token)) {
    return Proceed(context, request, credential, std::move(*cached), handler, style);
  }
  return Deferred{&context.store_pool, [&context, &request, credential, &handler, style] {
                    Response r =
                        Complete(Proceed(context, request, credential,
                                         context.sessions.Load(credential.token), handler, style));
                    return r;
                  }};
}

Handler Authed(const RouteContext& context, AuthedHandler handler, AuthStyle style) {
  return [&context, handler = std::move(handler), style](Request& request) {
    return WithSession(context, request, handler, style);
  };
}

}  // namespace sesame::http
