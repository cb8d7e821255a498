// POST /v1/auth/login, GET /v1/auth/me, GET /v1/auth/verify, POST /v1/auth/logout,
// POST /v1/auth/logout-all (API.md "Login and the session's life", "For proxies").

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "common/secret_bytes.h"
#include "http/body.h"
#include "http/error_response.h"
#include "http/pages/page.h"
#include "http/request_auth.h"
#include "http/routes/credentials_response.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"

namespace sesame::http {
namespace {

constexpr FieldSpec kLoginFields[] = {
    {"username", FieldType::kString, true}, {"password", FieldType::kString, true},
    {"mode", FieldType::kString},           {"transport", FieldType::kString},
    {"remember", FieldType::kBool},         {"device_token", FieldType::kString}};

// Where a form login goes: its safe `next` on success; empty for a JSON login.
struct FormLogin {
  bool is_form = false;
  std::string next;  // SafeNextPath()
};

// A form login answers with redirects (API.md "Conventions"): back to the form with the
// error code (and the wait, when there is one), which the login page turns into a message.
Response FormFailure(const Error& error, const FormLogin& form) {
  std::string location = "/login?error=" + std::string(ErrorCodeName(error.code));
  const bool waits = error.code == ErrorCode::kRateLimited || error.code == ErrorCode::kUnavailable;
  const int64_t retry_after = std::max<int64_t>(error.retry_after_seconds, 1);
  if (waits) {
    location += "&retry_after=" + std::to_string(retry_after);
  }
  if (form.next != "/") {
    location += "&next=" + QueryEncode(form.next);
  }
  Response r = Response::Redirect(location);
  r.AddHeader("Cache-Control", "no-store");
  if (waits) {
    r.AddHeader("Retry-After", std::to_string(retry_after));
  }
  return r;
}

Response LoginResponse(const RouteContext& context, const auth::LoginResult& result,
                       const FormLogin& form) {
  const store::Session& s = result.session.record;
  IssuedCredentials issued{s,  result.user,        result.session.session_secret, nullptr, {},
                           {}, result.device_token};
  auth::IssuedAccessToken access;
  if (s.mode == store::SessionMode::kJwt) {
    auto signed_token = context.access_tokens->Issue(s, result.user);
    if (!signed_token) {
      return form.is_form ? FormFailure(signed_token.error(), form)
                          : ErrorResponse(signed_token.error());
    }
    access = std::move(*signed_token);
    issued.access = &access;
    issued.refresh_token = result.session.refresh_token;
    issued.refresh_expires_at =
        std::min(s.created_at + context.refresh->policy().refresh_ttl, s.absolute_expires_at);
  }
  return CredentialsResponse(context, issued, s.transport == store::Transport::kCookie,
                             form.is_form ? std::string_view(form.next) : std::string_view());
}

Reply Login(const RouteContext& context, Request& request) {
  FormLogin form{IsFormRequest(request), "/"};
  // Read apart from the other fields: a form that fails to parse still goes back to `next`.
  if (form.is_form) {
    form.next = SafeNextPath(FormField(request, "next"));
  }
  auto fields = ParseBody(request, kLoginFields, /*allow_form=*/true);
  if (!fields) {
    return form.is_form ? FormFailure(fields.error(), form) : ErrorResponse(fields.error());
  }
  store::SessionMode mode = context.policy.default_mode;
  store::Transport transport = context.policy.default_transport;
  if (auto m = fields->String("mode")) {
    auto parsed = store::ParseSessionMode(*m);
    if (!parsed) {
      return ErrorResponse(Error{ErrorCode::kInvalidRequest, "mode must be session or jwt"});
    }
    mode = *parsed;
  }
  if (auto t = fields->String("transport")) {
    auto parsed = store::ParseTransport(*t);
    if (!parsed) {
      return ErrorResponse(Error{ErrorCode::kInvalidRequest, "transport must be cookie or header"});
    }
    transport = *parsed;
  }
  if (form.is_form) {
    transport = store::Transport::kCookie;  // a plain HTML form can only hold a cookie
  }
  if (mode == store::SessionMode::kJwt && context.access_tokens == nullptr) {
    return ErrorResponse(
        Error{ErrorCode::kInvalidRequest, "mode jwt is not available on this server"});
  }
  // Login CSRF: a cookie login (form or JSON) must come from our own or an allowed origin, so
  // a foreign page cannot sign a victim into the attacker's account.
  if (transport == store::Transport::kCookie) {
    if (auto origin = CheckOrigin(request, context.policy); !origin) {
      return form.is_form ? FormFailure(origin.error(), form) : ErrorResponse(origin.error());
    }
  }
  const bool remember = fields->Bool("remember").value_or(false);
  return Deferred{
      &context.cpu_pool, [&context, &request, fields = std::move(*fields), mode, transport,
                          remember, form = std::move(form)]() mutable {
        auth::LoginRequest login;
        login.username = *fields.String("username");
        login.password = *fields.String("password");
        login.mode = mode;
        login.transport = transport;
        login.remember = remember;
        login.ip = request.remote_ip;
        login.user_agent = request.Header("User-Agent");
        // The device cookie, else (header transport) the body's device_token.
        login.device_token = fields.String("device_token").value_or("");
        if (auto cookie = FindCookie(request.Header("Cookie"), context.policy.device_cookie_name);
            cookie && login.device_token.empty()) {
          login.device_token = *cookie;
        }
        auto result = context.login.Login(login);
        auto& password = fields.strings["password"];
        SecureWipe(password.data(), password.size());
        if (!result) {
          return form.is_form ? FormFailure(result.error(), form) : ErrorResponse(result.error());
        }
        return LoginResponse(context, *result, form);
      }};
}

Response MeResponse(const auth::CachedSession& s, store::Transport transport,
                    std::string_view csrf_token, int64_t created_at, int64_t last_seen_at,
                    int64_t expires_at, int64_t absolute_expires_at) {
  nlohmann::json body = {
      {"user", {{"id", s.user_id}, {"username", s.username}, {"roles", s.roles}}},
      {"session",
       {{"id", s.session_id},
        {"mode", store::SessionModeName(s.mode)},
        {"transport", store::TransportName(transport)},
        {"created_at", created_at},
        {"last_seen_at", last_seen_at},
        {"expires_at", expires_at},
        {"absolute_expires_at", absolute_expires_at}}}};
  if (!csrf_token.empty() && transport == store::Transport::kCookie) {
    body["csrf_token"] = csrf_token;
  }
  Response r = Response::Json(200, Dump(body));
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Reply Me(const RouteContext& context, const Caller& caller) {
  const auth::CachedSession& s = caller.session();
  if (s.mode == store::SessionMode::kJwt) {
    // The access JWT says who; the session's times are in the store.
    auto session = caller.auth.session;
    const bool bearer = caller.credential.kind == Credential::Kind::kBearer;
    return Deferred{&context.store_pool, [&context, session, bearer] {
                      auto found = context.sessions.Find(session->session_id);
                      if (!found) {
                        return ErrorResponse(found.error(), bearer);
                      }
                      if (!*found || (*found)->IsRevoked()) {
                        return ErrorResponse(Error{ErrorCode::kSessionRevoked, {}}, bearer);
                      }
                      const store::Session& record = **found;
                      return MeResponse(
                          *session, record.transport, record.csrf_token,
                          ToUnixSeconds(record.created_at), ToUnixSeconds(record.last_seen_at),
                          SessionExpiresAt(record), ToUnixSeconds(record.absolute_expires_at));
                    }};
  }
  const TimePoint now = context.clock.Now();
  return MeResponse(s, s.transport, s.csrf_token, ToUnixSeconds(s.created_at), ToUnixSeconds(now),
                    ToUnixSeconds(std::min(now + s.idle_timeout, s.absolute_expires_at)),
                    ToUnixSeconds(s.absolute_expires_at));
}

// The method of the request a proxy asks about: Traefik and Caddy send X-Forwarded-Method,
// nginx's auth_request X-Original-Method (set in the README's snippet). Believed from anyone:
// it can only add a check, and a browser cannot set it on a cross-site request.
Method OriginalMethod(const Request& request) {
  std::string_view method = request.Header("X-Forwarded-Method");
  if (method.empty()) {
    method = request.Header("X-Original-Method");
  }
  return method.empty() ? Method::kGet : ParseMethod(method);
}

// API.md forward-auth: an unsafe original request carried by a cookie passes only from an own
// or allowed origin (and with the forwarded X-CSRF-Token under "token"), so the apps behind
// the proxy get CSRF defence without writing any.
Result<void> CheckForwardedCsrf(const RouteContext& context, const Caller& caller,
                                const Request& request) {
  const ForwardAuthCsrf rule = context.policy.forward_auth_csrf;
  if (rule == ForwardAuthCsrf::kOff || caller.credential.kind != Credential::Kind::kCookie ||
      !IsUnsafe(OriginalMethod(request))) {
    return {};
  }
  if (rule == ForwardAuthCsrf::kToken) {
    return CheckCsrf(request, ExpectedCsrfToken(context, caller.session()), context.policy);
  }
  return CheckOrigin(request, context.policy);
}

Reply Verify(const RouteContext& context, const Caller& caller, const Request& request) {
  const auth::CachedSession& s = caller.session();
  if (auto csrf = CheckForwardedCsrf(context, caller, request); !csrf) {
    return ErrorResponse(csrf.error());
  }
  if (!request.query.empty()) {
    if (auto role = request.QueryParam("role"); role && !s.HasRole(*role)) {
      return ErrorResponse(Error{ErrorCode::kForbidden, {}});
    }
  }
  Response r;
  r.status = 200;
  r.headers.reserve(256);
  r.AddHeader("X-Sesame-User-Id", s.user_id);
  r.AddHeader("X-Sesame-Username", s.username);
  r.AddHeader("X-Sesame-Roles", s.roles_joined);
  r.AddHeader("X-Sesame-Session-Id", s.session_id);
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Reply Logout(const RouteContext& context, const Request& request, const Caller& caller,
             bool everywhere) {
  const std::string session_id = caller.session().session_id;
  const std::string user_id = caller.session().user_id;
  const bool cookie = caller.credential.kind == Credential::Kind::kCookie;
  const std::string ip(request.remote_ip);
  return Deferred{&context.store_pool, [&context, session_id, user_id, cookie, ip, everywhere] {
                    const auth::Actor actor{{}, ip};
                    Result<void> done;
                    if (everywhere) {
                      auto n = context.sessions.RevokeAll(user_id, "logout_all", actor);
                      if (!n) {
                        done = tl::unexpected(n.error());
                      }
                    } else {
                      auto revoked = context.sessions.Revoke(session_id, "logout", actor);
                      if (!revoked) {
                        done = tl::unexpected(revoked.error());
                      }
                    }
                    if (!done) {
                      return ErrorResponse(done.error(), !cookie);
                    }
                    Response r = Response::NoContent();
                    r.session_id = session_id;
                    if (cookie) {
                      ClearCredentialCookies(r, context.policy);
                    }
                    return r;
                  }};
}

}  // namespace

void AddAuthRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/v1/auth/verify",
             Authed(context, [&context](Request& request, const Caller& caller) {
               return Verify(context, caller, request);
             }));
  router.Add(Method::kPost, "/v1/auth/login",
             [&context](Request& request) { return Login(context, request); });
  router.Add(
      Method::kGet, "/v1/auth/me",
      Authed(context, [&context](Request&, const Caller& caller) { return Me(context, caller); }));
  router.Add(Method::kPost, "/v1/auth/logout",
             Authed(context, [&context](Request& request, const Caller& caller) {
               return Logout(context, request, caller, /*everywhere=*/false);
             }));
  router.Add(Method::kPost, "/v1/auth/logout-all",
             Authed(context, [&context](Request& request, const Caller& caller) {
               return Logout(context, request, caller, /*everywhere=*/true);
             }));
}

}  // namespace sesame::http
