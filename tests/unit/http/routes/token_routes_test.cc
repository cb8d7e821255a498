// POST /v1/auth/refresh: rotation, the retry within grace, reuse detection, and the cookie's
// CSRF rules (API.md "Login and the session's life"), through the real router and services.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::Headers;
using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;
using ::sesame::testing::SetCookieLine;
using ::sesame::testing::SetCookieValue;
using ::testing::HasSubstr;

Response Refresh(RouteHarness& h, const std::string& refresh_token) {
  return h.PostJson("/v1/auth/refresh", {{"refresh_token", refresh_token}});
}

TEST(TokenRoutes, RefreshRotatesAndARetryWithinGraceGetsTheSameSuccessor) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s = h.Login("alice", "password-1", store::SessionMode::kJwt);
  const Response first = Refresh(h, s.refresh_token);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto body = JsonBody(first);
  EXPECT_EQ(body["session"]["id"], s.id);
  EXPECT_EQ(body["token_type"], "Bearer");
  const std::string successor = body.value("refresh_token", "");
  EXPECT_FALSE(successor.empty());
  EXPECT_NE(successor, s.refresh_token);
  ClientSession renewed = s;
  renewed.credential = body.value("access_token", "");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(renewed)).status, 200);

  h.clock().Advance(Seconds(10));  // within the 30 s grace
  const Response retry = Refresh(h, s.refresh_token);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(JsonBody(retry)["refresh_token"], successor);
}

TEST(TokenRoutes, ThePreviousTokenAfterGraceIsReuseAndRevokesTheSession) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s = h.Login("alice", "password-1", store::SessionMode::kJwt);
  const Response first = Refresh(h, s.refresh_token);
  ASSERT_EQ(first.status, 200);
  h.clock().Advance(Seconds(31));
  const Response reused = Refresh(h, s.refresh_token);
  EXPECT_EQ(reused.status, 401);
  EXPECT_EQ(JsonBody(reused)["error"], "refresh_token_reused");
  // The whole family is gone: the successor and the live access token too.
  EXPECT_EQ(JsonBody(Refresh(h, JsonBody(first)["refresh_token"]))["error"], "session_revoked");
  const Response verify = h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(s));
  EXPECT_EQ(verify.status, 401);
  EXPECT_EQ(JsonBody(verify)["error"], "session_revoked");
}

TEST(TokenRoutes, AnUnknownRefreshTokenIsInvalidAndRevokesNothing) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s = h.Login("alice", "password-1", store::SessionMode::kJwt);
  std::string forged = s.refresh_token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  const Response r = Refresh(h, forged);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(JsonBody(r)["error"], "invalid_token");
  EXPECT_EQ(Refresh(h, s.refresh_token).status, 200);
}

TEST(TokenRoutes, NoRefreshTokenIsMissingCredentialsAndABadBodyInvalidRequest) {
  RouteHarness h;
  const Response none = h.Send(Method::kPost, "/v1/auth/refresh");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(JsonBody(none)["error"], "missing_credentials");
  const Response bad = h.PostJson("/v1/auth/refresh", {{"refresh_token", 7}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(JsonBody(bad)["error"], "invalid_request");
}

TEST(TokenRoutes, TheRefreshCookieNeedsTheCsrfTokenAndAnswersWithCookies) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kJwt, store::Transport::kCookie);
  ASSERT_FALSE(s.refresh_token.empty());
  const Headers cookie{{"Cookie", "sesame_refresh=" + s.refresh_token}, {"Origin", h.kOrigin}};
  const Response refused = h.Send(Method::kPost, "/v1/auth/refresh", cookie);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(JsonBody(refused)["error"], "csrf_failed");

  Headers with_token = cookie;
  with_token.emplace_back("X-CSRF-Token", s.csrf_token);
  const Response ok = h.Send(Method::kPost, "/v1/auth/refresh", with_token);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_FALSE(JsonBody(ok).contains("refresh_token"));  // secrets only in cookies
  EXPECT_FALSE(JsonBody(ok).contains("access_token"));
  const auto rotated = SetCookieValue(ok, "sesame_refresh");
  ASSERT_TRUE(rotated.has_value());
  EXPECT_NE(*rotated, s.refresh_token);
  EXPECT_THAT(SetCookieLine(ok, "sesame_refresh"), HasSubstr("Path=/v1/auth/refresh"));
  EXPECT_TRUE(SetCookieValue(ok, "sesame_session").has_value());
}

}  // namespace
}  // namespace sesame::http
