#include "http/routes/credentials_response.h"

#include <nlohmann/json.hpp>

#include "auth/device_epochs.h"
#include "http/request_auth.h"
#include "http/routes/json_views.h"

namespace sesame::http {

Response CredentialsResponse(const RouteContext& context, const IssuedCredentials& issued,
                             bool cookie, std::string_view form_redirect) {
  const store::Session& s = issued.session;
  const int64_t now = ToUnixSeconds(context.clock.Now());
  const int64_t expires_at = SessionExpiresAt(s);
  const bool jwt = issued.access != nullptr;
  const int64_t access_expires_in = jwt ? ToUnixSeconds(issued.access->expires_at) - now : 0;
  const int64_t refresh_expires_in = ToUnixSeconds(issued.refresh_expires_at) - now;
  Response r;
  if (!form_redirect.empty()) {
    r = Response::Redirect(form_redirect);
  } else {
    nlohmann::json body = {{"user",
                            {{"id", issued.user.id},
                             {"username", issued.user.username},
                             {"roles", issued.user.roles}}},
                           {"session",
                            {{"id", s.id},
                             {"mode", store::SessionModeName(s.mode)},
                             {"transport", store::TransportName(s.transport)},
                             {"created_at", ToUnixSeconds(s.created_at)},
                             {"expires_at", expires_at},
                             {"absolute_expires_at", ToUnixSeconds(s.absolute_expires_at)}}}};
    if (cookie) {
      body["csrf_token"] = s.csrf_token;
      if (jwt) {
        body["expires_in"] = access_expires_in;  // when to refresh; not a secret
      }
    } else if (jwt) {
      body["access_token"] = issued.access->token;
      body["token_type"] = "Bearer";
      body["expires_in"] = access_expires_in;
      if (!issued.refresh_token.empty()) {
        body["refresh_token"] = issued.refresh_token;
        body["refresh_expires_in"] = refresh_expires_in;
      }
    } else {
      body["session_token"] = issued.session_secret;
      body["token_type"] = "Bearer";
      body["expires_in"] = expires_at - now;
    }
    if (!cookie && !issued.device_token.empty()) {
      body["device_token"] = issued.device_token;
    }
    r = Response::Json(200, Dump(body));
  }
  r.AddHeader("Cache-Control", "no-store");
  if (cookie) {
    // "Remember this device" keeps the cookies for the session's absolute lifetime; otherwise
    // they are browser-session cookies, gone when the browser closes. The access JWT's cookie
    // outlives the JWT on purpose: an expired JWT answers token_expired (refresh), not
    // missing_credentials (log in).
    const long long max_age = s.remember ? ToUnixSeconds(s.absolute_expires_at) - now : -1;
    r.AddHeader("Set-Cookie",
                BuildSetCookie(context.policy.session_cookie_name,
                               jwt ? std::string_view(issued.access->token) : issued.session_secret,
                               context.policy.cookie, max_age));
    if (jwt && !issued.refresh_token.empty()) {
      r.AddHeader("Set-Cookie", BuildSetCookie(context.policy.refresh_cookie_name,
                                               issued.refresh_token, context.policy.cookie,
                                               s.remember ? refresh_expires_in : -1, kRefreshPath));
    }
    if (!issued.device_token.empty()) {
      r.AddHeader("Set-Cookie",
                  BuildSetCookie(context.policy.device_cookie_name, issued.device_token,
                                 context.policy.cookie, auth::kDeviceTokenLife.count()));
    }
  }
  r.session_id = s.id;
  return r;
}

}  // namespace sesame::http
