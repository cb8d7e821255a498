#pragma once

// The answer to a successful login or refresh (API.md POST /v1/auth/login): the user and
// session as JSON, and the credentials, in the body for header transport or as cookies for
// cookie transport (secrets never in a cookie transport body). A form login gets a 303 to
// `form_redirect` (a safe same-origin path) with the cookies instead. Pure function of its inputs;
// thread-safe.

#include <string_view>

#include "auth/access_tokens.h"
#include "http/response.h"
#include "http/route_context.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::http {

struct IssuedCredentials {
  const store::Session& session;
  const store::User& user;
  std::string_view session_secret;                  // session mode
  const auth::IssuedAccessToken* access = nullptr;  // jwt mode
  std::string_view refresh_token;                   // jwt mode with refresh tokens
  TimePoint refresh_expires_at;
  std::string_view device_token = {};  // login: the device cookie, or device_token in the body
};

Response CredentialsResponse(const RouteContext& context, const IssuedCredentials& issued,
                             bool cookie, std::string_view form_redirect = {});

}  // namespace sesame::http
