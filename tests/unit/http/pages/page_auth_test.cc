// How pages treat a credential that does not hold (http/pages/page_auth.h): a redirect to
// /login that says why and comes back, the cookie dropped, and for an expired access JWT with a
// live refresh cookie the page that renews it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::RouteHarness;
using ::sesame::testing::SetCookieLine;
using ::testing::HasSubstr;

TEST(PageAuth, ARevokedSessionGoesToLoginWithTheReasonAndLosesItsCookie) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  ASSERT_EQ(h.Send(Method::kPost, "/v1/auth/logout-all", RouteHarness::CookieWithCsrf(s)).status,
            204);
  const Response r = h.Send(Method::kGet, "/devices", RouteHarness::CookieOnly(s));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.HeaderValue("Location"), "/login?reason=revoked&next=%2Fdevices");
  EXPECT_THAT(SetCookieLine(r, "sesame_session"), HasSubstr("Max-Age=0"));
}

TEST(PageAuth, AnIdleSessionGoesToLoginAsExpired) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  h.clock().Advance(Seconds(31 * 60));  // past the 30 min idle timeout
  const Response r = h.Send(Method::kGet, "/", RouteHarness::CookieOnly(s));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.HeaderValue("Location"), "/login?reason=expired");
}

TEST(PageAuth, AnExpiredAccessCookieGetsTheRenewalPage) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kJwt, store::Transport::kCookie);
  ASSERT_EQ(h.Send(Method::kGet, "/devices", RouteHarness::CookieOnly(s)).status, 200);
  h.clock().Advance(Seconds(400));  // past the access TTL, well within the session
  const Response r = h.Send(Method::kGet, "/devices", RouteHarness::CookieOnly(s));
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("data-csrf=\"" + s.csrf_token + "\""));
  EXPECT_THAT(r.body, HasSubstr("data-next=\"/devices\""));
  // A form post is not renewed: it starts over at the login page.
  EXPECT_EQ(h.Send(Method::kPost, "/logout", RouteHarness::CookieWithCsrf(s)).status, 303);
}

TEST(PageAuth, AFormWithoutTheCsrfFieldIsAnErrorPageNotJson) {
  RouteHarness h;
  h.AddUser("alice", "password-1");
  const ClientSession s =
      h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  // The X-CSRF-Token header does not count for a page: a plain HTML form cannot send it.
  const Response r = h.Send(Method::kPost, "/logout", RouteHarness::CookieWithCsrf(s));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.content_type, HasSubstr("text/html"));
}

}  // namespace
}  // namespace sesame::http
