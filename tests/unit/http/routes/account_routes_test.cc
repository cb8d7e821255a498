// POST /v1/users (registration) and POST /v1/auth/password (own password), through the real
// router and services.

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

RouteHarnessOptions OpenRegistration() {
  RouteHarnessOptions options;
  options.registration_open = true;
  return options;
}

TEST(AccountRoutes, RegistrationIsClosedByDefault) {
  RouteHarness h;
  const Response r = h.PostJson("/v1/users", {{"username", "carol"}, {"password", "password-3"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(JsonBody(r)["error"], "forbidden");
}

TEST(AccountRoutes, OpenRegistrationCreatesAUserWhoCanLogIn) {
  RouteHarness h(OpenRegistration());
  const Response r = h.PostJson("/v1/users", {{"username", "carol"}, {"password", "password-3"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(JsonBody(r)["user"]["username"], "carol");
  EXPECT_FALSE(JsonBody(r)["user"].value("id", "").empty());
  EXPECT_FALSE(h.Login("carol", "password-3").credential.empty());
}

TEST(AccountRoutes, ATakenOrLookalikeNameIsUsernameTakenAndABadShapeInvalid) {
  RouteHarness h(OpenRegistration());
  ASSERT_EQ(h.PostJson("/v1/users", {{"username", "carol"}, {"password", "password-3"}}).status,
            201);
  for (const char* name : {"carol", "CAROL"}) {
    const Response taken =
        h.PostJson("/v1/users", {{"username", name}, {"password", "password-4"}});
    EXPECT_EQ(taken.status, 409) << name;
    EXPECT_EQ(JsonBody(taken)["error"], "username_taken") << name;
  }
  const Response short_password =
      h.PostJson("/v1/users", {{"username", "dave"}, {"password", "short"}});
  EXPECT_EQ(short_password.status, 400);
  EXPECT_EQ(JsonBody(short_password)["error"], "invalid_request");
  const Response no_name = h.PostJson("/v1/users", {{"password", "password-4"}});
  EXPECT_EQ(no_name.status, 400);
}

TEST(AccountRoutes, PasswordChangeKeepsThisSessionAndEndsTheOthers) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession current = h.Login("alice", "password-1");
  const ClientSession other = h.Login("alice", "password-1");
  const Response r = h.PostJson(
      "/v1/auth/password", {{"current_password", "password-1"}, {"new_password", "password-9"}},
      RouteHarness::Bearer(current));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(current)).status, 200);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(other)).status, 401);
  EXPECT_FALSE(h.Login("alice", "password-9").credential.empty());
}

TEST(AccountRoutes, AWrongCurrentPasswordIsInvalidCredentialsAndChangesNothing) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s = h.Login("alice", "password-1");
  const Response r = h.PostJson(
      "/v1/auth/password", {{"current_password", "password-0"}, {"new_password", "password-9"}},
      RouteHarness::Bearer(s));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(JsonBody(r)["error"], "invalid_credentials");
  EXPECT_FALSE(h.Login("alice", "password-1").credential.empty());
}

TEST(AccountRoutes, ACookiePasswordChangeNeedsTheCsrfToken) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  const nlohmann::json body = {{"current_password", "password-1"}, {"new_password", "password-9"}};
  Headers no_token = RouteHarness::CookieOnly(s);
  no_token.emplace_back("Origin", h.kOrigin);
  const Response refused = h.PostJson("/v1/auth/password", body, no_token);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(JsonBody(refused)["error"], "csrf_failed");
  EXPECT_EQ(h.PostJson("/v1/auth/password", body, RouteHarness::CookieWithCsrf(s)).status, 204);
}

}  // namespace
}  // namespace sesame::http
