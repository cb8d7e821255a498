// /v1/admin/...: role admin, checked against the roles held now for changes; users, their
// sessions, force logout, audit (API.md "Administration"), through the real router and services.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::Headers;
using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;

Response Patch(RouteHarness& h, const std::string& user_id, const nlohmann::json& body,
               Headers headers) {
  headers.emplace_back("Content-Type", "application/json");
  return h.Send(Method::kPatch, "/v1/admin/users/" + user_id, headers, body.dump());
}

class AdminRoutes : public ::testing::Test {
 protected:
  AdminRoutes() {
    h.AddUser("root", "password-0", {"admin"});
    bob = h.AddUser("bob", "password-2", {"dev"});
    admin = h.Login("root", "password-0");
  }
  RouteHarness h;
  store::User bob;
  ClientSession admin;
};

TEST_F(AdminRoutes, NeedCredentialsAndTheAdminRole) {
  EXPECT_EQ(JsonBody(h.Send(Method::kGet, "/v1/admin/users"))["error"], "missing_credentials");
  const ClientSession user = h.Login("bob", "password-2");
  for (const auto& [method, target] : std::vector<std::pair<Method, std::string>>{
           {Method::kGet, "/v1/admin/users"},
           {Method::kGet, "/v1/admin/users/" + bob.id},
           {Method::kDelete, "/v1/admin/sessions/" + admin.id},
           {Method::kGet, "/v1/admin/audit"}}) {
    const Response r = h.Send(method, target, RouteHarness::Bearer(user));
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(JsonBody(r)["error"], "forbidden") << target;
  }
  EXPECT_EQ(h.Send(Method::kGet, "/v1/admin/users", RouteHarness::Bearer(admin)).status, 200);
}

TEST_F(AdminRoutes, CreateGetAndListUsers) {
  const Response created = h.PostJson(
      "/v1/admin/users", {{"username", "carol"}, {"password", "password-3"}, {"roles", {"ops"}}},
      RouteHarness::Bearer(admin));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = JsonBody(created)["user"]["id"];
  EXPECT_EQ(JsonBody(created)["user"]["roles"], nlohmann::json::array({"ops"}));
  const Response got = h.Send(Method::kGet, "/v1/admin/users/" + id, RouteHarness::Bearer(admin));
  EXPECT_EQ(JsonBody(got)["user"]["username"], "carol");
  const Response listed =
      h.Send(Method::kGet, "/v1/admin/users?search=car", RouteHarness::Bearer(admin));
  ASSERT_EQ(JsonBody(listed)["users"].size(), 1u);
  EXPECT_EQ(JsonBody(listed)["users"][0]["id"], id);
  const Response taken =
      h.PostJson("/v1/admin/users", {{"username", "Carol"}, {"password", "password-3"}},
                 RouteHarness::Bearer(admin));
  EXPECT_EQ(taken.status, 409);
  const Response unknown =
      h.Send(Method::kGet, "/v1/admin/users/u_nobody", RouteHarness::Bearer(admin));
  EXPECT_EQ(unknown.status, 404);
}

TEST_F(AdminRoutes, PatchChangesRolesAndDisablingRevokesEverySession) {
  const ClientSession bobs = h.Login("bob", "password-2");
  const Response roles = Patch(h, bob.id, {{"roles", {"dev", "ops"}}}, RouteHarness::Bearer(admin));
  ASSERT_EQ(roles.status, 200) << roles.body;
  EXPECT_EQ(JsonBody(roles)["user"]["roles"], nlohmann::json::array({"dev", "ops"}));
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/verify", RouteHarness::Bearer(bobs))
                .HeaderValue("X-Sesame-Roles"),
            "dev,ops");
  const Response disabled = Patch(h, bob.id, {{"disabled", true}}, RouteHarness::Bearer(admin));
  ASSERT_EQ(disabled.status, 200);
  EXPECT_EQ(JsonBody(disabled)["user"]["disabled"], true);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(bobs)).status, 401);
  EXPECT_EQ(Patch(h, bob.id, {{"disabled", "yes"}}, RouteHarness::Bearer(admin)).status, 400);
  EXPECT_EQ(Patch(h, "u_nobody", {{"disabled", true}}, RouteHarness::Bearer(admin)).status, 404);
}

TEST_F(AdminRoutes, UserSessionsAndForceLogout) {
  const ClientSession b1 = h.Login("bob", "password-2");
  const ClientSession b2 = h.Login("bob", "password-2");
  const Response listed =
      h.Send(Method::kGet, "/v1/admin/users/" + bob.id + "/sessions", RouteHarness::Bearer(admin));
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(JsonBody(listed)["sessions"].size(), 2u);
  EXPECT_EQ(
      h.Send(Method::kDelete, "/v1/admin/sessions/" + b1.id, RouteHarness::Bearer(admin)).status,
      204);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(b1)).status, 401);
  EXPECT_EQ(
      h.Send(Method::kDelete, "/v1/admin/sessions/" + b1.id, RouteHarness::Bearer(admin)).status,
      404);
  EXPECT_EQ(h.Send(Method::kDelete, "/v1/admin/users/" + bob.id + "/sessions",
                   RouteHarness::Bearer(admin))
                .status,
            204);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(b2)).status, 401);
}

TEST_F(AdminRoutes, AuditListsTheEventsOfAUser) {
  h.Login("bob", "password-2");
  const Response r = h.Send(Method::kGet, "/v1/admin/audit?user_id=" + bob.id + "&limit=5",
                            RouteHarness::Bearer(admin));
  ASSERT_EQ(r.status, 200);
  const auto events = JsonBody(r)["events"];
  ASSERT_FALSE(events.empty());
  EXPECT_LE(events.size(), 5u);
  for (const auto& e : events) {
    EXPECT_EQ(e["user_id"], bob.id) << e;
  }
}

TEST_F(AdminRoutes, ACookieAdminChangeNeedsTheCsrfToken) {
  const ClientSession cookie =
      h.Login("root", "password-0", store::SessionMode::kSession, store::Transport::kCookie);
  Headers no_token = RouteHarness::CookieOnly(cookie);
  no_token.emplace_back("Origin", h.kOrigin);
  const Response refused = Patch(h, bob.id, {{"disabled", true}}, no_token);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(JsonBody(refused)["error"], "csrf_failed");
  EXPECT_EQ(Patch(h, bob.id, {{"disabled", true}}, RouteHarness::CookieWithCsrf(cookie)).status,
            200);
}

TEST_F(AdminRoutes, TakingTheRoleAwayStopsTheAdminsLiveAccessToken) {
  const ClientSession jwt = h.Login("root", "password-0", store::SessionMode::kJwt);
  const std::string root_id =
      JsonBody(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(jwt)))["user"]["id"];
  // Another admin takes the role away; the first access token still says "admin".
  ASSERT_EQ(
      Patch(h, root_id, {{"roles", nlohmann::json::array()}}, RouteHarness::Bearer(admin)).status,
      200);
  const Response r = Patch(h, bob.id, {{"disabled", true}}, RouteHarness::Bearer(jwt));
  EXPECT_EQ(r.status, 401);  // the role change made the token stale: refresh first
  EXPECT_EQ(JsonBody(r)["error"], "token_expired");
}

}  // namespace
}  // namespace sesame::http
