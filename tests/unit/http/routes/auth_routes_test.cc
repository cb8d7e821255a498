// POST /v1/auth/login, GET /v1/auth/me, GET /v1/auth/verify, POST /v1/auth/logout(-all)
// through the real router and services, no socket (API.md "Login and the session's life").

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::Headers;
using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;
using ::sesame::testing::RouteHarnessOptions;
using ::sesame::testing::SetCookieLine;
using ::sesame::testing::SetCookieValue;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Response LoginJson(RouteHarness& h, const std::string& name, const std::string& password,
                   const std::string& transport, Headers headers = {}) {
  return h.PostJson("/v1/auth/login",
                    {{"username", name}, {"password", password}, {"transport", transport}},
                    std::move(headers));
}

Response FormLogin(RouteHarness& h, const std::string& body, Headers headers) {
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return h.Send(Method::kPost, "/v1/auth/login", headers, body);
}

TEST(AuthRoutes, HeaderLoginReturnsTheSessionTokenInTheBodyAndNoCookie) {
  RouteHarness h;
  h.AddUser("alice", "password-1", {"dev"});
  const Response r = LoginJson(h, "alice", "password-1", "header");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = JsonBody(r);
  EXPECT_EQ(body["user"]["username"], "alice");
  EXPECT_EQ(body["user"]["roles"], nlohmann::json::array({"dev"}));
  EXPECT_EQ(body["session"]["mode"], "session");
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_FALSE(body.value("session_token", "").empty());
  EXPECT_FALSE(body.contains("csrf_token"));
  EXPECT_TRUE(testing::HeaderValues(r, "Set-Cookie").empty());
  EXPECT_EQ(r.HeaderValue("Cache-Control"), "no-store");
}

TEST(AuthRoutes, CookieLoginSetsAnHttpOnlyCookieAndKeepsTheSecretOutOfTheBody) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const Response r = LoginJson(h, "alice", "password-1", "cookie", {{"Origin", h.kOrigin}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string cookie = SetCookieLine(r, "sesame_session");
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Lax"));
  EXPECT_THAT(cookie, HasSubstr("Path=/"));
  const std::string secret = *SetCookieValue(r, "sesame_session");
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr(secret)));
  EXPECT_FALSE(JsonBody(r).value("csrf_token", "").empty());
  EXPECT_FALSE(JsonBody(r).contains("session_token"));
}

TEST(AuthRoutes, CookieLoginFromAForeignOriginIsCsrfFailed) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const Response foreign =
      LoginJson(h, "alice", "password-1", "cookie", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(JsonBody(foreign)["error"], "csrf_failed");
  const Response none = LoginJson(h, "alice", "password-1", "cookie");
  EXPECT_EQ(none.status, 403);
  // Header transport holds no cookie a foreign page could ride on: no Origin needed.
  EXPECT_EQ(LoginJson(h, "alice", "password-1", "header").status, 200);
}

TEST(AuthRoutes, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const Response wrong = LoginJson(h, "alice", "password-2", "header");
  const Response unknown = LoginJson(h, "nobody", "password-1", "header");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(JsonBody(wrong)["error"], "invalid_credentials");
  EXPECT_EQ(unknown.status, wrong.status);
  EXPECT_EQ(unknown.body, wrong.body);
}

TEST(AuthRoutes, MalformedLoginsAreInvalidRequest) {
  RouteHarness h;
  for (const std::string& body :
       {std::string("{"), std::string(R"({"username":"alice"})"),
        std::string(R"({"username":"alice","password":1})"),
        std::string(R"({"username":"alice","password":"password-1","mode":"magic"})")}) {
    const Response r =
        h.Send(Method::kPost, "/v1/auth/login", {{"Content-Type", "application/json"}}, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(JsonBody(r)["error"], "invalid_request") << body;
  }
}

TEST(AuthRoutes, RepeatedFailuresAreRateLimitedWithRetryAfter) {
  RouteHarnessOptions options;
  options.failures_per_user = {4, Seconds(600)};
  RouteHarness h(options);
  h.AddUser("alice", "password-1");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(LoginJson(h, "alice", "wrong-pass", "header").status, 401);
  }
  // Even the right password has to wait.
  const Response limited = LoginJson(h, "alice", "password-1", "header");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(JsonBody(limited)["error"], "rate_limited");
  EXPECT_FALSE(limited.HeaderValue("Retry-After").empty());
}

TEST(AuthRoutes, FormLoginRedirectsToNextWithTheCookieOrBackToTheForm) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const Headers own{{"Origin", h.kOrigin}};
  const Response ok = FormLogin(h, "username=alice&password=password-1&next=%2Fdevices", own);
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(ok.HeaderValue("Location"), "/devices");
  EXPECT_TRUE(SetCookieValue(ok, "sesame_session").has_value());
  const Response bad = FormLogin(h, "username=alice&password=wrong-pass&next=%2Fdevices", own);
  EXPECT_EQ(bad.status, 303);
  EXPECT_EQ(bad.HeaderValue("Location"), "/login?error=invalid_credentials&next=%2Fdevices");
  const Response offsite =
      FormLogin(h, "username=alice&password=password-1&next=//evil.example", own);
  EXPECT_EQ(offsite.HeaderValue("Location"), "/");
  const Response foreign =
      FormLogin(h, "username=alice&password=password-1", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(foreign.HeaderValue("Location"), "/login?error=csrf_failed");
}

TEST(AuthRoutes, MeAnswersForABearerAndACookie) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession bearer = h.Login("alice", "password-1");
  const Response by_bearer = h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(bearer));
  ASSERT_EQ(by_bearer.status, 200) << by_bearer.body;
  EXPECT_EQ(JsonBody(by_bearer)["session"]["id"], bearer.id);
  EXPECT_EQ(JsonBody(by_bearer)["session"]["transport"], "header");
  EXPECT_FALSE(JsonBody(by_bearer).contains("csrf_token"));
  const ClientSession cookie =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  const Response by_cookie = h.Send(Method::kGet, "/v1/auth/me", RouteHarness::CookieOnly(cookie));
  ASSERT_EQ(by_cookie.status, 200) << by_cookie.body;
  EXPECT_EQ(JsonBody(by_cookie)["csrf_token"], cookie.csrf_token);
}

TEST(AuthRoutes, MissingAndInvalidCredentialsAre401) {
  RouteHarness h;
  const Response missing = h.Send(Method::kGet, "/v1/auth/me");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(JsonBody(missing)["error"], "missing_credentials");
  const Response invalid =
      h.Send(Method::kGet, "/v1/auth/me", {{"Authorization", "Bearer not-a-session"}});
  EXPECT_EQ(invalid.status, 401);
  EXPECT_EQ(JsonBody(invalid)["error"], "invalid_token");
  EXPECT_THAT(std::string(invalid.HeaderValue("WWW-Authenticate")),
              AllOf(StartsWith("Bearer "), HasSubstr("error=\"invalid_token\"")));
  const Response forged = h.Send(Method::kGet, "/v1/auth/me", {{"Authorization", "Bearer a.b.c"}});
  EXPECT_EQ(JsonBody(forged)["error"], "invalid_token");
}

TEST(AuthRoutes, VerifyNamesTheUserAndChecksTheRole) {
  RouteHarness h;
  const store::User alice = h.AddUser("alice", "password-1", {"dev", "ops"});
  const ClientSession s = h.Login("alice", "password-1");
  const Response r = h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(s));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.HeaderValue("X-Sesame-User-Id"), alice.id);
  EXPECT_EQ(r.HeaderValue("X-Sesame-Username"), "alice");
  EXPECT_EQ(r.HeaderValue("X-Sesame-Roles"), "dev,ops");
  EXPECT_EQ(r.HeaderValue("X-Sesame-Session-Id"), s.id);
  EXPECT_EQ(r.session_id, s.id);  // for the access log
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify?role=ops", RouteHarness::Bearer(s)).status, 200);
  const Response forbidden =
      h.Send(Method::kGet, "/v1/auth/verify?role=admin", RouteHarness::Bearer(s));
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(JsonBody(forbidden)["error"], "forbidden");
}

TEST(AuthRoutes, ForwardAuthRefusesAnUnsafeCookieRequestFromAForeignOrigin) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  Headers foreign = RouteHarness::CookieOnly(s);
  foreign.emplace_back("X-Forwarded-Method", "POST");
  foreign.emplace_back("Origin", "http://evil.example");
  const Response refused = h.Send(Method::kGet, "/v1/auth/verify", foreign);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(JsonBody(refused)["error"], "csrf_failed");
  Headers own = RouteHarness::CookieOnly(s);
  own.emplace_back("X-Original-Method", "POST");
  own.emplace_back("Origin", h.kAllowedOrigin);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify", own).status, 200);
}

TEST(AuthRoutes, ForwardAuthCsrfTokenRuleWantsTheForwardedToken) {
  RouteHarnessOptions options;
  options.forward_auth_csrf = ForwardAuthCsrf::kToken;
  RouteHarness h(options);
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  Headers without = RouteHarness::CookieOnly(s);
  without.emplace_back("X-Forwarded-Method", "DELETE");
  without.emplace_back("Origin", h.kOrigin);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify", without).status, 403);
  Headers with = RouteHarness::CookieWithCsrf(s);
  with.emplace_back("X-Forwarded-Method", "DELETE");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify", with).status, 200);
}

TEST(AuthRoutes, LogoutWithACookieClearsItAndRevokesTheSession) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  // An unsafe cookie request without the CSRF token is refused, and changes nothing.
  const Response no_token =
      h.Send(Method::kPost, "/v1/auth/logout",
             {{"Cookie", "sesame_session=" + s.credential}, {"Origin", h.kOrigin}});
  EXPECT_EQ(no_token.status, 403);
  EXPECT_EQ(JsonBody(no_token)["error"], "csrf_failed");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::CookieOnly(s)).status, 200);

  const Response out = h.Send(Method::kPost, "/v1/auth/logout", RouteHarness::CookieWithCsrf(s));
  EXPECT_EQ(out.status, 204);
  EXPECT_THAT(SetCookieLine(out, "sesame_session"), HasSubstr("Max-Age=0"));
  const Response after = h.Send(Method::kGet, "/v1/auth/me", RouteHarness::CookieOnly(s));
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(JsonBody(after)["error"], "session_revoked");
}

TEST(AuthRoutes, LogoutAllEndsEverySessionOfTheCaller) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  h.AddUser("bob", "password-2");
  const ClientSession a1 = h.Login("alice", "password-1");
  const ClientSession a2 = h.Login("alice", "password-1", store::SessionMode::kJwt);
  const ClientSession b = h.Login("bob", "password-2");
  EXPECT_EQ(h.Send(Method::kPost, "/v1/auth/logout-all", RouteHarness::Bearer(a1)).status, 204);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(a1)).status, 401);
  const Response jwt = h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(a2));
  EXPECT_EQ(jwt.status, 401);
  EXPECT_EQ(JsonBody(jwt)["error"], "session_revoked");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(b)).status, 200);
}

TEST(AuthRoutes, JwtLoginIssuesAnAccessTokenTheVerifyPathAccepts) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s = h.Login("alice", "password-1", store::SessionMode::kJwt);
  EXPECT_EQ(std::count(s.credential.begin(), s.credential.end(), '.'), 2);
  EXPECT_FALSE(s.refresh_token.empty());
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(s)).status, 200);
  const Response me = h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(s));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(JsonBody(me)["session"]["mode"], "jwt");
  h.clock().Advance(Seconds(400));  // past the access TTL and leeway
  const Response expired = h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(s));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(JsonBody(expired)["error"], "token_expired");
}

}  // namespace
}  // namespace sesame::http
