// POST /v1/oauth/introspect (RFC 7662) and POST /v1/oauth/revoke (RFC 7009): API-key client
// authentication and the answer for each kind of token, through the real router and services.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base64url.h"
#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::Headers;
using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;

const Headers kClient{{"Authorization", std::string("Bearer ") + RouteHarness::kClientKey}};

Response Post(RouteHarness& h, const std::string& target, const std::string& token,
              Headers headers = kClient) {
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return h.Send(Method::kPost, target, headers, "token=" + QueryEncode(token));
}

TEST(OAuthRoutes, CallersNeedAConfiguredApiKey) {
  RouteHarness h;
  for (const char* target : {"/v1/oauth/introspect", "/v1/oauth/revoke"}) {
    const Response missing = Post(h, target, "x", {});
    EXPECT_EQ(missing.status, 401) << target;
    EXPECT_EQ(JsonBody(missing)["error"], "missing_credentials") << target;
    const Response wrong = Post(h, target, "x", {{"Authorization", "Bearer not-the-key"}});
    EXPECT_EQ(wrong.status, 401) << target;
    EXPECT_EQ(JsonBody(wrong)["error"], "invalid_credentials") << target;
  }
  // HTTP Basic with the client's name works too (RFC 6749 §2.3.1); another name does not.
  const std::string basic = "svc:" + std::string(RouteHarness::kClientKey);
  const Response ok =
      Post(h, "/v1/oauth/introspect", "x", {{"Authorization", "Basic " + Base64UrlEncode(basic)}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  const std::string other = "other:" + std::string(RouteHarness::kClientKey);
  EXPECT_EQ(
      Post(h, "/v1/oauth/introspect", "x", {{"Authorization", "Basic " + Base64UrlEncode(other)}})
          .status,
      401);
}

TEST(OAuthRoutes, IntrospectionDescribesEveryKindOfToken) {
  RouteHarness h;
  const store::User alice = h.AddUser("alice", "password-1", {"dev"});
  const ClientSession session = h.Login("alice", "password-1");
  const ClientSession jwt = h.Login("alice", "password-1", store::SessionMode::kJwt);
  const struct {
    std::string token;
    const char* type;
    std::string sid;
  } cases[] = {{session.credential, "session_token", session.id},
               {jwt.credential, "access_token", jwt.id},
               {jwt.refresh_token, "refresh_token", jwt.id}};
  for (const auto& c : cases) {
    const Response r = Post(h, "/v1/oauth/introspect", c.token);
    ASSERT_EQ(r.status, 200) << c.type;
    const auto body = JsonBody(r);
    EXPECT_EQ(body["active"], true) << c.type;
    EXPECT_EQ(body["token_type"], c.type);
    EXPECT_EQ(body["sub"], alice.id) << c.type;
    EXPECT_EQ(body["username"], "alice") << c.type;
    EXPECT_EQ(body["sid"], c.sid) << c.type;
    EXPECT_EQ(body["roles"], nlohmann::json::array({"dev"})) << c.type;
    EXPECT_EQ(r.HeaderValue("Cache-Control"), "no-store");
  }
  EXPECT_EQ(JsonBody(Post(h, "/v1/oauth/introspect", "garbage"))["active"], false);
  EXPECT_EQ(JsonBody(Post(h, "/v1/oauth/introspect", "a.b.c"))["active"], false);
}

TEST(OAuthRoutes, IntrospectionIsPassiveAndRevocationEndsTheSession) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession jwt = h.Login("alice", "password-1", store::SessionMode::kJwt);
  // Introspecting a refresh token never spends or rotates it.
  ASSERT_EQ(JsonBody(Post(h, "/v1/oauth/introspect", jwt.refresh_token))["active"], true);
  ASSERT_EQ(h.PostJson("/v1/auth/refresh", {{"refresh_token", jwt.refresh_token}}).status, 200);

  const ClientSession s = h.Login("alice", "password-1");
  const Response revoked = Post(h, "/v1/oauth/revoke", s.credential);
  EXPECT_EQ(revoked.status, 200);
  EXPECT_TRUE(revoked.body.empty());
  EXPECT_EQ(JsonBody(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(s)))["error"],
            "session_revoked");
  EXPECT_EQ(JsonBody(Post(h, "/v1/oauth/introspect", s.credential))["active"], false);
  // Revoking an access token ends its session too; an unknown token is a quiet 200.
  EXPECT_EQ(Post(h, "/v1/oauth/revoke", jwt.credential).status, 200);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(jwt)).status, 401);
  EXPECT_EQ(Post(h, "/v1/oauth/revoke", "unknown").status, 200);
}

}  // namespace
}  // namespace sesame::http
