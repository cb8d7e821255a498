// GET /v1/sessions and DELETE /v1/sessions/{id}: the caller's own devices, through the real
// router and services.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;
using ::sesame::testing::SetCookieLine;
using ::testing::HasSubstr;

TEST(SessionRoutes, ListsTheCallersLiveSessionsAndMarksTheCurrentOne) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  h.AddUser("bob", "password-2");
  const ClientSession a1 = h.Login("alice", "password-1");
  const ClientSession a2 = h.Login("alice", "password-1", store::SessionMode::kJwt);
  h.Login("bob", "password-2");
  const Response r = h.Send(Method::kGet, "/v1/sessions", RouteHarness::Bearer(a1));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto sessions = JsonBody(r)["sessions"];
  ASSERT_EQ(sessions.size(), 2u);
  for (const auto& s : sessions) {
    EXPECT_TRUE(s["id"] == a1.id || s["id"] == a2.id) << s;
    EXPECT_EQ(s["current"], s["id"] == a1.id);
    EXPECT_EQ(s["ip"], RouteHarness::kRemoteIp);
  }
}

TEST(SessionRoutes, DeletingOwnSessionRevokesItAndAnothersIsNotFound) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  h.AddUser("bob", "password-2");
  const ClientSession a1 = h.Login("alice", "password-1");
  const ClientSession a2 = h.Login("alice", "password-1");
  const ClientSession b = h.Login("bob", "password-2");
  const Response other = h.Send(Method::kDelete, "/v1/sessions/" + b.id, RouteHarness::Bearer(a1));
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(JsonBody(other)["error"], "not_found");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(b)).status, 200);
  const Response unknown =
      h.Send(Method::kDelete, "/v1/sessions/s_nothing", RouteHarness::Bearer(a1));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, other.body);  // indistinguishable

  EXPECT_EQ(h.Send(Method::kDelete, "/v1/sessions/" + a2.id, RouteHarness::Bearer(a1)).status, 204);
  EXPECT_EQ(JsonBody(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(a2)))["error"],
            "session_revoked");
  EXPECT_EQ(h.Send(Method::kDelete, "/v1/sessions/" + a2.id, RouteHarness::Bearer(a1)).status, 404);
}

TEST(SessionRoutes, DeletingTheCurrentCookieSessionClearsTheCookie) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  EXPECT_EQ(h.Send(Method::kDelete, "/v1/sessions/" + s.id, RouteHarness::CookieOnly(s)).status,
            403);  // no CSRF token
  const Response r =
      h.Send(Method::kDelete, "/v1/sessions/" + s.id, RouteHarness::CookieWithCsrf(s));
  EXPECT_EQ(r.status, 204);
  EXPECT_THAT(SetCookieLine(r, "sesame_session"), HasSubstr("Max-Age=0"));
}

}  // namespace
}  // namespace sesame::http
