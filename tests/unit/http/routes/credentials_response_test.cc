#include "http/routes/credentials_response.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;
using ::sesame::testing::SetCookieLine;
using ::sesame::testing::SetCookieValue;
using ::testing::HasSubstr;
using ::testing::Not;

class CredentialsResponseTest : public ::testing::Test {
 protected:
  CredentialsResponseTest() {
    user.id = "u_1";
    user.username = "alice";
    session.id = "s_1";
    session.user_id = "u_1";
    session.csrf_token = "csrf-1";
    session.created_at = h.clock().Now();
    session.idle_expires_at = h.clock().Now() + Seconds(1800);
    session.absolute_expires_at = h.clock().Now() + Seconds(86400);
  }
  // Session mode: the session secret is the credential; no access or refresh token.
  IssuedCredentials Issued() const { return {session, user, "the-secret", nullptr, {}, {}}; }

  RouteHarness h;
  store::User user;
  store::Session session;
};

TEST_F(CredentialsResponseTest, HeaderTransportPutsTheSessionTokenInTheBody) {
  session.transport = store::Transport::kHeader;
  const Response r = CredentialsResponse(h.context(), Issued(), false);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(JsonBody(r)["session_token"], "the-secret");
  EXPECT_EQ(JsonBody(r)["expires_in"], 1800);
  EXPECT_FALSE(JsonBody(r).contains("csrf_token"));
  EXPECT_EQ(r.HeaderValue("Set-Cookie"), "");
  EXPECT_EQ(r.session_id, "s_1");
}

TEST_F(CredentialsResponseTest, CookieTransportSetsABrowserSessionCookieUnlessRemembered) {
  session.transport = store::Transport::kCookie;
  const Response r = CredentialsResponse(h.context(), Issued(), true);
  EXPECT_THAT(r.body, Not(HasSubstr("the-secret")));
  EXPECT_EQ(JsonBody(r)["csrf_token"], "csrf-1");
  EXPECT_EQ(SetCookieValue(r, "sesame_session"), "the-secret");
  EXPECT_THAT(SetCookieLine(r, "sesame_session"), Not(HasSubstr("Max-Age")));
  session.remember = true;
  const Response remembered = CredentialsResponse(h.context(), Issued(), true);
  EXPECT_THAT(SetCookieLine(remembered, "sesame_session"), HasSubstr("Max-Age=86400"));
}

TEST_F(CredentialsResponseTest, AFormLoginIsARedirectWithTheCookie) {
  session.transport = store::Transport::kCookie;
  const Response r = CredentialsResponse(h.context(), Issued(), true, "/devices");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.HeaderValue("Location"), "/devices");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(SetCookieValue(r, "sesame_session"), "the-secret");
}

TEST_F(CredentialsResponseTest, TheDeviceTokenIsACookieOrABodyField) {
  IssuedCredentials issued = Issued();
  issued.device_token = "device-1";
  EXPECT_EQ(JsonBody(CredentialsResponse(h.context(), issued, false))["device_token"], "device-1");
  const Response cookie = CredentialsResponse(h.context(), issued, true);
  EXPECT_EQ(SetCookieValue(cookie, "sesame_device"), "device-1");
  EXPECT_FALSE(JsonBody(cookie).contains("device_token"));
}

}  // namespace
}  // namespace sesame::http
