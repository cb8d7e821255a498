// The pages a signed-in person uses (API.md "Pages"): /login, /, /devices and the forms behind
// them, through the real router and services. Forms carry the CSRF token as a field.

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
using ::testing::HasSubstr;

// A form post from the signed-in browser: the cookie, our Origin, the CSRF field first.
Response PostForm(RouteHarness& h, const std::string& target, const ClientSession& s,
                  const std::string& fields, const std::string& origin = RouteHarness::kOrigin) {
  Headers headers = RouteHarness::CookieOnly(s);
  headers.emplace_back("Origin", origin);
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  std::string body = "csrf_token=" + s.csrf_token;
  if (!fields.empty()) {
    body += "&" + fields;
  }
  return h.Send(Method::kPost, target, headers, body);
}

class PageRoutes : public ::testing::Test {
 protected:
  PageRoutes() {
    alice = h.AddUser("alice", "password-1");
    browser =
        h.Login("alice", "password-1", store::SessionMode::kSession, store::Transport::kCookie);
  }
  RouteHarness h;
  store::User alice;
  ClientSession browser;
};

TEST_F(PageRoutes, TheLoginPageIsAFormThatExplainsAFailure) {
  const Response r = h.Send(Method::kGet, "/login?next=%2Fdevices&error=invalid_credentials");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/html"));
  EXPECT_THAT(r.body, HasSubstr("action=\"/v1/auth/login\""));
  EXPECT_THAT(r.body, HasSubstr("name=\"next\" value=\"/devices\""));
  EXPECT_THAT(r.body, HasSubstr("do not match"));
  // Someone signed in goes straight on.
  const Response on =
      h.Send(Method::kGet, "/login?next=%2Fdevices", RouteHarness::CookieOnly(browser));
  EXPECT_EQ(on.status, 303);
  EXPECT_EQ(on.HeaderValue("Location"), "/devices");
}

TEST_F(PageRoutes, PagesWithoutASessionSendToLoginAndComeBack) {
  const Response home = h.Send(Method::kGet, "/");
  EXPECT_EQ(home.status, 303);
  EXPECT_EQ(home.HeaderValue("Location"), "/login");
  const Response devices = h.Send(Method::kGet, "/devices");
  EXPECT_EQ(devices.status, 303);
  EXPECT_EQ(devices.HeaderValue("Location"), "/login?next=%2Fdevices");
}

TEST_F(PageRoutes, HomeAndDevicesShowTheAccountAndItsSessions) {
  const Response home = h.Send(Method::kGet, "/", RouteHarness::CookieOnly(browser));
  ASSERT_EQ(home.status, 200);
  EXPECT_THAT(home.body, HasSubstr("alice"));
  EXPECT_THAT(home.body, HasSubstr(browser.id));
  EXPECT_THAT(home.body, HasSubstr(browser.csrf_token));  // in the forms
  const ClientSession phone = h.Login("alice", "password-1");
  const Response devices = h.Send(Method::kGet, "/devices", RouteHarness::CookieOnly(browser));
  ASSERT_EQ(devices.status, 200);
  EXPECT_THAT(devices.body, HasSubstr("/devices/" + phone.id + "/revoke"));
  EXPECT_THAT(devices.body, HasSubstr("/devices/" + browser.id + "/revoke"));
}

TEST_F(PageRoutes, FormsNeedTheCsrfFieldAndOurOrigin) {
  Headers no_field = RouteHarness::CookieOnly(browser);
  no_field.emplace_back("Origin", h.kOrigin);
  no_field.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  EXPECT_EQ(h.Send(Method::kPost, "/logout", no_field, "").status, 403);
  EXPECT_EQ(PostForm(h, "/logout", browser, "", "http://evil.example").status, 403);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::CookieOnly(browser)).status, 200);

  const Response out = PostForm(h, "/logout", browser, "");
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.HeaderValue("Location"), "/login?reason=signed_out");
  EXPECT_THAT(SetCookieLine(out, "sesame_session"), HasSubstr("Max-Age=0"));
  EXPECT_EQ(
      JsonBody(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::CookieOnly(browser)))["error"],
      "session_revoked");
}

TEST_F(PageRoutes, SignOutEverywhereEndsEverySession) {
  const ClientSession phone = h.Login("alice", "password-1");
  const Response out = PostForm(h, "/logout-all", browser, "");
  EXPECT_EQ(out.HeaderValue("Location"), "/login?reason=signed_out_all");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(phone)).status, 401);
}

TEST_F(PageRoutes, ThePasswordFormRedirectsWithItsOutcome) {
  EXPECT_EQ(PostForm(h, "/password", browser,
                     "current_password=password-1&new_password=password-8"
                     "&new_password_again=password-9")
                .HeaderValue("Location"),
            "/?error=mismatch");
  EXPECT_EQ(PostForm(h, "/password", browser,
                     "current_password=password-0&new_password=password-9"
                     "&new_password_again=password-9")
                .HeaderValue("Location"),
            "/?error=wrong_password");
  EXPECT_EQ(PostForm(h, "/password", browser,
                     "current_password=password-1&new_password=password-9"
                     "&new_password_again=password-9")
                .HeaderValue("Location"),
            "/?done=password");
  EXPECT_FALSE(h.Login("alice", "password-9").credential.empty());
}

TEST_F(PageRoutes, RevokingADeviceWorksForOwnSessionsOnly) {
  h.AddUser("bob", "password-2");
  const ClientSession bobs = h.Login("bob", "password-2");
  const Response foreign = PostForm(h, "/devices/" + bobs.id + "/revoke", browser, "");
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(bobs)).status, 200);
  const ClientSession phone = h.Login("alice", "password-1");
  const Response own = PostForm(h, "/devices/" + phone.id + "/revoke", browser, "");
  EXPECT_EQ(own.status, 303);
  EXPECT_EQ(own.HeaderValue("Location"), "/devices?done=revoked");
  EXPECT_EQ(h.Send(Method::kGet, "/v1/auth/me", RouteHarness::Bearer(phone)).status, 401);
}

TEST_F(PageRoutes, AssetsAreServedAndUnknownOnesAreNotFound) {
  const Response icon = h.Send(Method::kGet, "/assets/favicon.svg");
  EXPECT_EQ(icon.status, 200);
  EXPECT_FALSE(icon.body.empty());
  EXPECT_EQ(h.Send(Method::kGet, "/assets/nothing.js").status, 404);
  EXPECT_EQ(h.Send(Method::kGet, "/favicon.ico").HeaderValue("Location"), "/assets/favicon.svg");
}

}  // namespace
}  // namespace sesame::http
