// The pages of API.md "Pages" a signed-in person uses: /login, / (my page), /devices, the
// forms behind their buttons, and the static assets. The admin pages are in admin_pages.cc.
// Every form posts with the session's CSRF token as a hidden field and from our own origin;
// every answer to a form is a redirect (post/redirect/get), so reloading never resubmits.

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>

#include "common/secret_bytes.h"
#include "http/body.h"
#include "http/error_response.h"
#include "http/pages/page.h"
#include "http/pages/page_auth.h"
#include "http/pages/user_agent.h"
#include "http/routes/routes.h"

namespace sesame::http {
namespace {

// A login error code (from the form login's redirect) as a sentence. Unknown and missing
// accounts, wrong passwords and disabled accounts share one code, so the page cannot tell
// them apart either.
std::string LoginErrorMessage(std::string_view code, std::string_view retry_after) {
  if (code == "invalid_credentials") {
    return "That username and password do not match. Check both and try again.";
  }
  if (code == "rate_limited") {
    int64_t seconds = 0;
    const char* end = retry_after.data() + retry_after.size();
    if (std::from_chars(retry_after.data(), end, seconds).ptr != end || seconds <= 0 ||
        seconds > 86400 * 365) {
      return "Too many sign-in attempts. Wait a little, then try again.";
    }
    const std::string wait = seconds < 90 ? std::to_string(seconds) + " seconds"
                                          : std::to_string((seconds + 59) / 60) + " minutes";
    return "Too many sign-in attempts. Try again in " + wait + ".";
  }
  if (code == "csrf_failed") {
    return "Sign-in was refused because the form did not come from this site. Reload this page "
           "and try again.";
  }
  if (code == "invalid_request") {
    return "Enter your username and password.";
  }
  if (code == "forbidden") {
    return "You are signed in on as many devices as this account may use. Sign out on one of "
           "them first.";
  }
  if (code == "unavailable") {
    return "Signing in is briefly unavailable. Try again in a moment.";
  }
  return "Signing in did not work. Try again.";
}

std::string LoginNotice(std::string_view reason) {
  if (reason == "signed_out") {
    return "You are signed out.";
  }
  if (reason == "signed_out_all") {
    return "You are signed out on every device.";
  }
  if (reason == "expired") {
    return "Your session timed out. Sign in again to continue.";
  }
  if (reason == "revoked") {
    return "Your session was ended. Sign in again to continue.";
  }
  return {};
}

std::string DurationText(Seconds duration) {
  const int64_t days = duration.count() / 86400;
  if (days >= 2) {
    return std::to_string(days) + " days";
  }
  const int64_t hours = duration.count() / 3600;
  if (hours >= 2) {
    return std::to_string(hours) + " hours";
  }
  return std::to_string(std::max<int64_t>(duration.count() / 60, 1)) + " minutes";
}

Response LoginPage(const RouteContext& context, const Request& request) {
  TemplateData data = PageData("Sign in", nullptr, PageNav::kNone);
  data.Flag("inline_messages", true);
  data.Text("next", SafeNextPath(request.QueryParam("next").value_or("/")));
  if (auto code = request.QueryParam("error")) {
    data.Text("alert", LoginErrorMessage(*code, request.QueryParam("retry_after").value_or("")));
  }
  data.Text("notice", LoginNotice(request.QueryParam("reason").value_or("")));
  data.Text("remember_for", DurationText(context.sessions.policy().remember_timeout));
  return RenderPage(200, "login.html", data);
}

std::string TransportLabel(const store::Session& record) {
  return record.transport == store::Transport::kCookie
             ? "Cookie (HttpOnly: scripts on the page cannot read it)"
             : "Authorization header";
}

// The outcome of the password form, as the home page tells it (?done= / ?error=).
std::string PasswordNotice(std::string_view done) {
  return done == "password" ? "Your password is changed. Every other device is signed out."
                            : std::string();
}

std::string PasswordAlert(std::string_view error) {
  if (error == "wrong_password") {
    return "That is not your current password. Nothing was changed.";
  }
  if (error == "mismatch") {
    return "The two new passwords differ. Nothing was changed.";
  }
  if (error == "password_shape") {
    return "A password needs 8 to 1024 characters. Nothing was changed.";
  }
  if (error == "rate_limited") {
    return "Too many wrong passwords. Wait a while, then try again.";
  }
  return {};
}

Reply HomePage(const RouteContext& context, const Request& request, const Caller& caller) {
  const std::shared_ptr<const auth::CachedSession> session = caller.auth.session;
  const PageViewer viewer = ViewerOf(context, caller);
  const std::string notice = PasswordNotice(request.QueryParam("done").value_or(""));
  const std::string alert = PasswordAlert(request.QueryParam("error").value_or(""));
  return Deferred{&context.store_pool, [&context, session, viewer, notice, alert] {
                    auto found = context.sessions.Find(session->session_id);
                    if (!found) {
                      return PageError(found.error(), &viewer);
                    }
                    if (!*found || (*found)->IsRevoked()) {
                      return SignedOut(context.policy, "revoked");
                    }
                    const store::Session& record = **found;
                    auto all = context.sessions.ListLive(session->user_id);
                    if (!all) {
                      return PageError(all.error(), &viewer);
                    }
                    // A session-mode session's idle expiry slides on every request (the store
                    // copy is written lazily); a jwt session's slides on refresh.
                    const TimePoint now = context.clock.Now();
                    const TimePoint idle_until =
                        record.mode == store::SessionMode::kSession
                            ? std::min(now + session->idle_timeout, record.absolute_expires_at)
                            : std::min(record.idle_expires_at, record.absolute_expires_at);
                    TemplateData data = PageData("Your account", &viewer, PageNav::kHome);
                    data.Text("notice", notice);
                    data.Text("alert", alert);
                    for (const std::string& role : session->roles) {
                      data.AddItem("roles").Text("role", role);
                    }
                    data.List("roles");
                    data.Text("mode_label", ModeLabel(record.mode));
                    data.Text("transport_label", TransportLabel(record));
                    data.Text("device", DescribeUserAgent(record.user_agent));
                    data.Text("created_iso", IsoTime(record.created_at));
                    data.Text("created_text", TextTime(record.created_at));
                    data.Text("idle_until_iso", IsoTime(idle_until));
                    data.Text("idle_until_text", TextTime(idle_until));
                    data.Text("absolute_until_iso", IsoTime(record.absolute_expires_at));
                    data.Text("absolute_until_text", TextTime(record.absolute_expires_at));
                    data.Text("session_id", record.id);
                    data.Text("session_count", std::to_string(all->size()));
                    return RenderPage(200, "home.html", data);
                  }};
}

Reply DevicesPage(const RouteContext& context, const Request& request, const Caller& caller) {
  const std::string user_id = caller.session().user_id;
  const std::string current = caller.session().session_id;
  const PageViewer viewer = ViewerOf(context, caller);
  const bool revoked_one = request.QueryParam("done").value_or("") == "revoked";
  return Deferred{&context.store_pool, [&context, user_id, current, viewer, revoked_one] {
                    auto sessions = context.sessions.ListLive(user_id);
                    if (!sessions) {
                      return PageError(sessions.error(), &viewer);
                    }
                    TemplateData data = PageData("Your devices", &viewer, PageNav::kDevices);
                    if (revoked_one) {
                      data.Text("notice", "That device is signed out.");
                    }
                    data.Flag("has_sessions", !sessions->empty());
                    for (const store::Session& s : *sessions) {
                      AddSessionItem(data, s, current, "/devices/" + s.id + "/revoke");
                    }
                    return RenderPage(200, "devices.html", data);
                  }};
}

Reply SignOut(const RouteContext& context, const Request& request, const Caller& caller,
              bool everywhere) {
  const std::string session_id = caller.session().session_id;
  const std::string user_id = caller.session().user_id;
  const PageViewer viewer = ViewerOf(context, caller);
  const std::string ip(request.remote_ip);
  return Deferred{&context.store_pool, [&context, session_id, user_id, viewer, ip, everywhere] {
                    const auth::Actor actor{{}, ip};
                    if (everywhere) {
                      if (auto n = context.sessions.RevokeAll(user_id, "logout_all", actor); !n) {
                        return PageError(n.error(), &viewer);
                      }
                      return SignedOut(context.policy, "signed_out_all");
                    }
                    if (auto done = context.sessions.Revoke(session_id, "logout", actor); !done) {
                      return PageError(done.error(), &viewer);
                    }
                    return SignedOut(context.policy, "signed_out");
                  }};
}

// POST /password, the form on my page: POST /v1/auth/password for people (API.md "Pages").
Reply ChangePassword(const RouteContext& context, const Request& request, const Caller& caller) {
  std::string current = FormField(request, "current_password");
  std::string fresh = FormField(request, "new_password");
  std::string again = FormField(request, "new_password_again");
  const bool same = ConstantTimeEquals(fresh, again);
  SecureWipe(again.data(), again.size());
  if (!same) {
    SecureWipe(current.data(), current.size());
    SecureWipe(fresh.data(), fresh.size());
    return PageRedirect("/?error=mismatch");
  }
  const std::string user_id = caller.session().user_id;
  const std::string session_id = caller.session().session_id;
  const PageViewer viewer = ViewerOf(context, caller);
  const std::string ip(request.remote_ip);
  return Deferred{
      &context.cpu_pool, [&context, current = std::move(current), fresh = std::move(fresh), user_id,
                          session_id, viewer, ip]() mutable {
        auto changed = context.login.ChangePassword({user_id, session_id, current, fresh, ip});
        SecureWipe(current.data(), current.size());
        SecureWipe(fresh.data(), fresh.size());
        if (changed) {
          return PageRedirect("/?done=password");
        }
        switch (changed.error().code) {
          case ErrorCode::kInvalidCredentials:
            return PageRedirect("/?error=wrong_password");
          case ErrorCode::kInvalidRequest:
            return PageRedirect("/?error=password_shape");
          case ErrorCode::kRateLimited:
            return PageRedirect("/?error=rate_limited");
          default:
            return PageError(changed.error(), &viewer);
        }
      }};
}

Reply RevokeDevice(const RouteContext& context, const Request& request, const Caller& caller) {
  const std::string target(request.params[0]);
  const std::string user_id = caller.session().user_id;
  const std::string current = caller.session().session_id;
  const PageViewer viewer = ViewerOf(context, caller);
  const std::string ip(request.remote_ip);
  return Deferred{
      &context.store_pool, [&context, target, user_id, current, viewer, ip] {
        auto found = context.sessions.Find(target);
        if (!found) {
          return PageError(found.error(), &viewer);
        }
        // Someone else's session answers exactly like a missing one (API.md: 404).
        if (!*found || (*found)->user_id != user_id || (*found)->IsRevoked()) {
          return PageError(Error{ErrorCode::kNotFound, {}}, &viewer);
        }
        if (auto done = context.sessions.Revoke(target, "revoked_by_user", auth::Actor{{}, ip});
            !done) {
          return PageError(done.error(), &viewer);
        }
        if (target == current) {
          return SignedOut(context.policy, "signed_out");
        }
        return PageRedirect("/devices?done=revoked");
      }};
}

}  // namespace

void AddPageRoutes(Router& router, const RouteContext& context) {
  // A signed-in visitor of /login goes straight on; anyone else gets the form.
  router.Add(
      Method::kGet, "/login",
      Authed(
          context,
          [](Request& request, const Caller&) -> Reply {
            return PageRedirect(SafeNextPath(request.QueryParam("next").value_or("/")));
          },
          AuthStyle{false, [](const RouteContext& c, const Request& request, const Credential&,
                              const Error&) { return LoginPage(c, request); }}));
  router.Add(Method::kGet, "/",
             PageAuthed(context, [&context](Request& request, const Caller& caller) {
               return HomePage(context, request, caller);
             }));
  router.Add(Method::kPost, "/password",
             PageAuthed(context, [&context](Request& request, const Caller& caller) {
               return ChangePassword(context, request, caller);
             }));
  router.Add(Method::kGet, "/devices",
             PageAuthed(context, [&context](Request& request, const Caller& caller) {
               return DevicesPage(context, request, caller);
             }));
  router.Add(Method::kPost, "/logout",
             PageAuthed(context, [&context](Request& request, const Caller& caller) {
               return SignOut(context, request, caller, /*everywhere=*/false);
             }));
  router.Add(Method::kPost, "/logout-all",
             PageAuthed(context, [&context](Request& request, const Caller& caller) {
               return SignOut(context, request, caller, /*everywhere=*/true);
             }));
  router.Add(Method::kPost, "/devices/{id}/revoke",
             PageAuthed(context, [&context](Request& request, const Caller& caller) {
               return RevokeDevice(context, request, caller);
             }));
  router.Add(Method::kGet, "/assets/{name}", [](Request& request) -> Reply {
    if (auto asset = AssetResponse(request.params[0])) {
      return std::move(*asset);
    }
    return ErrorResponse(Error{ErrorCode::kNotFound, {}});
  });
  router.Add(Method::kGet, "/favicon.ico",
             [](Request&) -> Reply { return PageRedirect("/assets/favicon.svg"); });
}

}  // namespace sesame::http
