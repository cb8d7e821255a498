#pragma once

// Authenticating a request: the credential (session cookie or Authorization: Bearer), the
// session behind it (an access JWT: verified statelessly on the io thread; a session secret:
// the cache on the io thread, else the store on a worker), and for
// cookie-authenticated unsafe requests the CSRF token and Origin (API.md "CSRF").
// WithSession() wraps a handler so that every authenticated route does this the same way.
// Thread-safe.

#include <functional>
#include <string>
#include <string_view>

#include "auth/session_service.h"
#include "common/result.h"
#include "http/route_context.h"
#include "http/router.h"

namespace sesame::http {

struct Credential {
  enum class Kind { kNone, kCookie, kBearer };
  Kind kind = Kind::kNone;
  std::string_view token;
};

Credential ExtractCredential(const Request& request, const HttpPolicy& policy);

// "scheme://host[:port]" of a URL; empty if it has none.
std::string OriginOf(std::string_view url);
// The origin the request claims (Origin, else the origin of Referer); empty if neither.
std::string RequestOrigin(const Request& request);
// The server's own origin for this request (policy.public_origin or from Host).
std::string OwnOrigin(const Request& request, const HttpPolicy& policy);
// kCsrfFailed unless the request's origin is the server's own or an allowed one.
[[nodiscard]] Result<void> CheckOrigin(const Request& request, const HttpPolicy& policy);
// Origin plus X-CSRF-Token against the session's token (constant-time). An empty expected
// token (a header-transport session has none) never passes.
[[nodiscard]] Result<void> CheckCsrf(const Request& request, std::string_view expected,
                                     const HttpPolicy& policy);
// The same with the token the client presented given (pages send it as a form field).
[[nodiscard]] Result<void> CheckCsrf(const Request& request, std::string_view presented,
                                     std::string_view expected, const HttpPolicy& policy);
// The form field "csrf_token" of an application/x-www-form-urlencoded body; empty if absent.
std::string FormCsrfToken(const Request& request);

// What an authenticated handler gets.
struct Caller {
  auth::Authenticated auth;
  Credential credential;
  const auth::CachedSession& session() const { return *auth.session; }
};
using AuthedHandler = std::function<Reply(Request&, const Caller&)>;

// The CSRF token cookie requests of this session must present: stored with a session-mode
// session, derived from the session id for a jwt one. Empty for a header-transport session.
std::string ExpectedCsrfToken(const RouteContext& context, const auth::CachedSession& session);

// How a family of routes authenticates. The API (the default) reads X-CSRF-Token and answers
// failures with API.md's JSON errors; pages read the form field "csrf_token" (a plain HTML form
// cannot send a header) and answer with a redirect to /login or an error page.
struct AuthStyle {
  bool csrf_in_form = false;
  // The answer to a failed authentication or CSRF check; null: the JSON error.
  Response (*on_failure)(const RouteContext& context, const Request& request,
                         const Credential& credential, const Error& error) = nullptr;
};

// Answers 401/403 itself; calls `handler` with the caller otherwise. The handler runs on the
// io thread when the session was cached, else on a store worker (it may return a Deferred
// either way; on a worker that runs inline).
Reply WithSession(const RouteContext& context, Request& request, const AuthedHandler& handler,
                  const AuthStyle& style = {});

// A router Handler that runs `handler` behind WithSession. The AuthedHandler is kept inside
// the returned Handler (which the router owns), so deferred work may refer to it.
Handler Authed(const RouteContext& context, AuthedHandler handler, AuthStyle style = {});

// Set-Cookie headers that delete the session and refresh cookies (logout, revoked session).
void ClearCredentialCookies(Response& response, const HttpPolicy& policy);

// Where the refresh cookie is sent (its Path).
inline constexpr std::string_view kRefreshPath = "/v1/auth/refresh";

// Runs `reply` to completion on the current thread (inline if it is a Deferred).
Response Complete(Reply reply);

}  // namespace sesame::http
