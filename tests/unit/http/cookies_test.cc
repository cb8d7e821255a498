#include "http/cookies.h"

#include <gtest/gtest.h>

namespace sesame::http {
namespace {

TEST(FindCookie, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(FindCookie("a=1; sesame_session=abc; b=2", "sesame_session"), "abc");
  EXPECT_EQ(FindCookie("sesame_session=\"q\"", "sesame_session"), "q");
  EXPECT_EQ(FindCookie("xsesame_session=1; sesame_session_x=2", "sesame_session"), std::nullopt);
  EXPECT_EQ(FindCookie("", "sesame_session"), std::nullopt);
  EXPECT_EQ(FindCookie("broken; ; =; sesame_session=", "sesame_session"), "");
}

TEST(BuildSetCookie, HasTheContractAttributes) {
  CookiePolicy dev{false, "Lax"};
  EXPECT_EQ(BuildSetCookie("sesame_session", "v", dev, -1),
            "sesame_session=v; Path=/; HttpOnly; SameSite=Lax");
  CookiePolicy prod{true, "Strict"};
  EXPECT_EQ(SessionCookieName(prod), "__Host-sesame_session");
  EXPECT_EQ(BuildSetCookie(SessionCookieName(prod), "v", prod, 60),
            "__Host-sesame_session=v; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=60");
  EXPECT_EQ(BuildSetCookie("sesame_session", "", dev, 0),
            "sesame_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
}

}  // namespace
}  // namespace sesame::http
