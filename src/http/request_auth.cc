#include "http/request_auth.h"

#include <algorithm>

#include "auth/session_secrets.h"
#include "common/secret_bytes.h"
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
  const std::string_view host = request.Header("Host");
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
  if (auto origin = CheckOrigin(request, policy); !origin) {
    return origin;
  }
  const std::string_view sent = request.Header("X-CSRF-Token");
  // A session without a CSRF token (made for header transport) never passes a cookie check.
  if (expected.empty() || sent.empty() || !ConstantTimeEquals(sent, expected)) {
    return MakeError(ErrorCode::kCsrfFailed, "missing or wrong X-CSRF-Token");
  }
  return {};
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

Reply Proceed(const RouteContext& context, Request& request, const Credential& credential,
              Result<auth::Authenticated> auth, const AuthedHandler& handler) {
  if (!auth) {
    return Fail(auth.error().code, credential);
  }
  if (credential.kind == Credential::Kind::kCookie && IsUnsafe(request.method)) {
    // A jwt session's token is derived from its id (no store read); computed only here, where
    // a cookie-carried JWT makes an unsafe request.
    const auth::CachedSession& s = *auth->session;
    const auth::SessionSecrets* secrets = context.sessions.jwt().secrets;
    const std::string expected = s.mode == store::SessionMode::kJwt
                                     ? (secrets != nullptr ? secrets->CsrfToken(s.session_id) : "")
                                     : s.csrf_token;
    if (auto csrf = CheckCsrf(request, expected, context.policy); !csrf) {
      Response r = Fail(ErrorCode::kCsrfFailed, credential);
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

Reply WithSession(const RouteContext& context, Request& request, const AuthedHandler& handler) {
  const Credential credential = ExtractCredential(request, context.policy);
  if (credential.kind == Credential::Kind::kNone) {
    return Fail(ErrorCode::kMissingCredentials, credential);
  }
  if (credential.token.size() > jose::kMaxTokenSize || credential.token.empty()) {
    return Fail(ErrorCode::kInvalidToken, credential);
  }
  if (credential.token.find('.') != std::string_view::npos) {
    // An access JWT (a session secret has no dot): signature, claims, revocation set. No store.
    if (context.access_tokens == nullptr) {
      return Fail(ErrorCode::kInvalidToken, credential);
    }
    auto session = context.access_tokens->Authenticate(credential.token);
    if (!session) {
      return Fail(session.error().code, credential);
    }
    return Proceed(context, request, credential,
                   auth::Authenticated{std::move(*session), context.clock.Now()}, handler);
  }
  if (auto cached = context.sessions.FindCached(credential.token)) {
    return Proceed(context, request, credential, std::move(*cached), handler);
  }
  return Deferred{&context.store_pool, [&context, &request, credential, &handler] {
                    Response r =
                        Complete(Proceed(context, request, credential,
                                         context.sessions.Load(credential.token), handler));
                    return r;
                  }};
}

Handler Authed(const RouteContext& context, AuthedHandler handler) {
  return [&context, handler = std::move(handler)](Request& request) {
    return WithSession(context, request, handler);
  };
}

}  // namespace sesame::http
