#include "http/pages/page_auth.h"

#include <algorithm>
#include <optional>

#include "auth/session_secrets.h"
#include "http/pages/user_agent.h"

namespace sesame::http {
namespace {

// 503: a store is down. Nothing was written (the services roll back), so trying again is safe.
Response UnavailablePage(std::string_view back, std::string_view back_label,
                         const PageViewer* viewer, int64_t retry_after_seconds) {
  Response r = ErrorPage(503, "sesame is briefly unavailable",
                         "Its store cannot be reached right now. Nothing was changed. Try again "
                         "in a moment.",
                         back, back_label, viewer);
  r.AddHeader("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

// An access JWT in the cookie has expired: if it is authentic, a page that renews it through
// the refresh cookie (scoped to /v1/auth/refresh, so only a request there can use it) and goes
// back to `next`. The refresh itself decides whether the session may go on. nullopt: no
// renewal possible (not a cookie JWT, refresh turned off, not authentic).
std::optional<Response> RefreshPage(const RouteContext& context, const Request& request,
                                    const Credential& credential) {
  const auth::SessionSecrets* secrets = context.sessions.jwt().secrets;
  if (credential.kind != Credential::Kind::kCookie || request.method != Method::kGet ||
      context.access_tokens == nullptr || context.refresh == nullptr || secrets == nullptr ||
      !context.sessions.jwt().refresh_tokens) {
    return std::nullopt;
  }
  auto session_id = context.access_tokens->ExpiredSessionId(credential.token);
  if (!session_id) {
    return std::nullopt;
  }
  const std::string next = SafeNextPath(request.target);
  TemplateData data = PageData("Renewing your sign-in", nullptr, PageNav::kNone);
  data.Flag("inline_messages", true);
  // The CSRF token a cookie refresh needs; it is derived from the session id.
  data.Text("refresh_csrf", secrets->CsrfToken(*session_id));
  data.Text("next", next);
  data.Text("login", "/login?reason=expired&next=" + QueryEncode(next));
  return RenderPage(200, "refresh.html", data);
}

// Where a page sends someone whose credential does not hold. A GET comes back to the same
// place after sign-in; a form post starts over at "/" (its CSRF token belonged to the old
// session anyway).
Response PageFailure(const RouteContext& context, const Request& request,
                     const Credential& credential, const Error& error) {
  switch (error.code) {
    case ErrorCode::kCsrfFailed:
      return ErrorPage(403, "This form could not be accepted",
                       "It was sent from another site, or from a page that was open while you "
                       "signed in again. Go back, reload the page and try again.");
    case ErrorCode::kUnavailable:
      return UnavailablePage(SafeNextPath(request.target), "Try again", nullptr, 5);
    case ErrorCode::kTokenExpired:
      if (auto page = RefreshPage(context, request, credential)) {
        return std::move(*page);
      }
      break;
    default:
      break;
  }
  std::string location = "/login";
  const char* separator = "?";
  if (error.code == ErrorCode::kSessionExpired || error.code == ErrorCode::kTokenExpired) {
    location += "?reason=expired";
    separator = "&";
  } else if (error.code == ErrorCode::kSessionRevoked) {
    location += "?reason=revoked";
    separator = "&";
  }
  if (request.method == Method::kGet && SafeNextPath(request.target) != "/") {
    location += separator;
    location += "next=" + QueryEncode(request.target);
  }
  Response r = PageRedirect(location);
  if (credential.kind == Credential::Kind::kCookie) {
    // The cookie holds nothing that works any more: drop it rather than send it again.
    ClearCredentialCookies(r, context.policy);
  }
  return r;
}

}  // namespace

AuthStyle PageAuthStyle() {
  return AuthStyle{/*csrf_in_form=*/true, &PageFailure};
}

Handler PageAuthed(const RouteContext& context, AuthedHandler handler) {
  return Authed(context, std::move(handler), PageAuthStyle());
}

namespace {

Response NotAdminPage(const RouteContext& context, const Caller& caller) {
  const PageViewer viewer = ViewerOf(context, caller);
  return ErrorPage(403, "Administrators only",
                   "Your account does not have the admin role, which this page needs.", "/",
                   "Back to your account", &viewer);
}

}  // namespace

Handler AdminPageAuthed(const RouteContext& context, AuthedHandler handler) {
  return PageAuthed(
      context,
      [&context, handler = std::move(handler)](Request& request, const Caller& caller) -> Reply {
        if (!caller.session().HasRole("admin")) {
          return NotAdminPage(context, caller);
        }
        if (!IsUnsafe(request.method)) {
          return handler(request, caller);
        }
        // A change to accounts is authorised by the roles held now, not by those a token was
        // issued with. (The handler's own deferred work, argon2id for a new password among it,
        // then runs here on the store pool: admin forms are rare.)
        return Deferred{&context.store_pool, [&context, &request, caller, &handler] {
                          auto admin =
                              context.accounts.HasCurrentRole(caller.session().user_id, "admin");
                          if (!admin) {
                            return PageError(admin.error(), nullptr);
                          }
                          if (!*admin) {
                            return NotAdminPage(context, caller);
                          }
                          return Complete(handler(request, caller));
                        }};
      });
}

PageViewer ViewerOf(const RouteContext& context, const Caller& caller) {
  const auth::CachedSession& s = caller.session();
  return PageViewer{s.user_id, s.username, s.HasRole("admin"), ExpectedCsrfToken(context, s)};
}

std::string ModeLabel(store::SessionMode mode) {
  return mode == store::SessionMode::kJwt ? "JWT (signed access token, rotating refresh token)"
                                          : "Session (checked against the server on every request)";
}

void AddSessionItem(TemplateData& page, const store::Session& session,
                    std::string_view current_session_id, std::string revoke_action) {
  TemplateData& item = page.AddItem("sessions");
  item.Text("id", session.id);
  item.Text("device", DescribeUserAgent(session.user_agent));
  item.Text("ip", session.ip.empty() ? std::string("unknown address") : session.ip);
  item.Text("mode_label", session.mode == store::SessionMode::kJwt ? "JWT" : "session");
  item.Text("created_iso", IsoTime(session.created_at));
  item.Text("created_text", TextTime(session.created_at));
  item.Text("last_seen_iso", IsoTime(session.last_seen_at));
  item.Text("last_seen_text", TextTime(session.last_seen_at));
  item.Flag("current", session.id == current_session_id);
  item.Text("revoke_action", std::move(revoke_action));
}

Response PageRedirect(std::string_view location) {
  Response r = Response::Redirect(location);
  r.AddHeader("Cache-Control", "no-store");
  r.AddHeader("Referrer-Policy", "same-origin");
  return r;
}

Response SignedOut(const HttpPolicy& policy, std::string_view reason) {
  Response r = PageRedirect("/login?reason=" + std::string(reason));
  ClearCredentialCookies(r, policy);
  return r;
}

Response PageError(const Error& error, const PageViewer* viewer) {
  switch (error.code) {
    case ErrorCode::kUnavailable:
      return UnavailablePage("/", "Back to your account", viewer,
                             std::max<int64_t>(error.retry_after_seconds, 1));
    case ErrorCode::kNotFound:
      return ErrorPage(404, "Not found", "There is nothing here, or it is not yours to see.", "/",
                       "Back to your account", viewer);
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kUsernameTaken:
      // The domain's sentences name the rule that was broken ("password must be ..."), never
      // a secret.
      return ErrorPage(400, "That did not work", error.detail, "/", "Back to your account", viewer);
    default:
      return ErrorPage(500, "That did not work", "The request could not be carried out.", "/",
                       "Back to your account", viewer);
  }
}

}  // namespace sesame::http
