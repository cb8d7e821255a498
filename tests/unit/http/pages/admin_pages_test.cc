// The admin pages (API.md "Pages", role admin): /admin, /admin/users/{id} and their forms,
// through the real router and services.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::Headers;
using ::sesame::testing::RouteHarness;
using ::testing::HasSubstr;

class AdminPages : public ::testing::Test {
 protected:
  AdminPages() {
    h.AddUser("root", "password-0", {"admin"});
    bob = h.AddUser("bob", "password-2");
    admin = h.Login("root", "password-0", store::SessionMode::kSession, store::Transport::kCookie);
  }

  Response PostForm(const std::string& target, const std::string& fields, bool with_csrf = true) {
    Headers headers = RouteHarness::CookieOnly(admin);
    headers.emplace_back("Origin", RouteHarness::kOrigin);
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    const std::string csrf = with_csrf ? "csrf_token=" + admin.csrf_token + "&" : "";
    return h.Send(Method::kPost, target, headers, csrf + fields);
  }

  RouteHarness h;
  store::User bob;
  ClientSession admin;
};

TEST_F(AdminPages, NeedASessionAndTheAdminRole) {
  const Response anonymous = h.Send(Method::kGet, "/admin");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(anonymous.HeaderValue("Location"), "/login?next=%2Fadmin");
  const ClientSession user =
      h.Login("bob", "password-2", store::SessionMode::kSession, store::Transport::kCookie);
  const Response forbidden = h.Send(Method::kGet, "/admin", RouteHarness::CookieOnly(user));
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_THAT(forbidden.body, HasSubstr("Administrators only"));
  const Response page = h.Send(Method::kGet, "/admin", RouteHarness::CookieOnly(admin));
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("/admin/users/" + bob.id));
}

TEST_F(AdminPages, CreatingAUserGoesToTheirPage) {
  const Response r = PostForm("/admin/users", "username=carol&password=password-3&roles=ops");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_THAT(std::string(r.HeaderValue("Location")), HasSubstr("?done=created"));
  const Response page =
      h.Send(Method::kGet, std::string(r.HeaderValue("Location")), RouteHarness::CookieOnly(admin));
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("carol"));
  EXPECT_THAT(page.body, HasSubstr("User created."));
  const Response taken = PostForm("/admin/users", "username=Carol&password=password-3");
  EXPECT_EQ(taken.status, 400);
}

TEST_F(AdminPages, DisablingAUserSignsThemOutEverywhere) {
  const ClientSession bobs = h.Login("bob", "password-2");
  EXPECT_EQ(PostForm("/admin/users/" + bob.id, "action=disable", /*with_csrf=*/false).status, 403);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(bobs)).status, 200);
  const Response r = PostForm("/admin/users/" + bob.id, "action=disable");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.HeaderValue("Location"), "/admin/users/" + bob.id + "?done=disable");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(bobs)).status, 401);
  EXPECT_EQ(PostForm("/admin/users/" + bob.id, "action=explode").status, 400);
  EXPECT_EQ(PostForm("/admin/users/u_nobody", "action=enable").status, 404);
}

TEST_F(AdminPages, ASessionIsSignedOutFromTheUsersPage) {
  const ClientSession bobs = h.Login("bob", "password-2");
  const Response r = PostForm("/admin/sessions/" + bobs.id + "/revoke", "");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.HeaderValue("Location"), "/admin/users/" + bob.id + "?done=session");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(bobs)).status, 401);
  EXPECT_EQ(PostForm("/admin/sessions/" + bobs.id + "/revoke", "").status, 404);
}

}  // namespace
}  // namespace sesame::http
