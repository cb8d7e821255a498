#include "http/pages/page.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http/request.h"

namespace sesame::http {
namespace {

TEST(SafeNextPath, KeepsSameOriginPathsOnly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/devices", "/devices"},
      {"/admin/users/u_1?done=x", "/admin/users/u_1?done=x"},
      {"/", "/"},
      {"", "/"},
      {"devices", "/"},
      {"//evil.example/x", "/"},
      {"/\\evil.example", "/"},
      {"/\\/evil.example", "/"},
      {"/a\\b", "/"},
      {"https://evil.example/", "/"},
      {"javascript:alert(1)", "/"},
      {" /devices", "/"},
      {"/dev ices", "/"},
      {"/devices\r\nSet-Cookie: x=1", "/"},
      {std::string("/a\0b", 4), "/"},
      {"/\x7f", "/"},
      {"/login", "/"},
      {"/login?next=/x", "/"},
      {"/loginx", "/loginx"},
      {"/" + std::string(1100, 'a'), "/"},
  };
  for (const auto& [next, want] : cases) {
    EXPECT_EQ(SafeNextPath(next), want) << next;
  }
}

TEST(QueryEncode, LeavesUnreservedAndEncodesTheRest) {
  EXPECT_EQ(QueryEncode("/devices?a=b&c=d e"), "%2Fdevices%3Fa%3Db%26c%3Dd%20e");
  EXPECT_EQ(QueryEncode("az-AZ_09.~"), "az-AZ_09.~");
  EXPECT_EQ(QueryEncode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(FormDecode(QueryEncode("/x?y=1&z=%2F")), "/x?y=1&z=%2F");
}

TEST(Page, EveryHtmlAnswerCarriesTheSecurityHeaders) {
  TemplateData data = PageData("Sign in", nullptr, PageNav::kNone);
  const Response r = RenderPage(200, "login.html", data);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  const std::string_view csp = r.HeaderValue("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string_view::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string_view::npos);
  EXPECT_NE(csp.find("form-action 'self'"), std::string_view::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string_view::npos);
  EXPECT_EQ(r.HeaderValue("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.HeaderValue("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.HeaderValue("Referrer-Policy"), "same-origin");
  EXPECT_EQ(r.HeaderValue("Cache-Control"), "no-store");
  EXPECT_NE(r.body.find("<form method=\"post\" action=\"/v1/auth/login\""), std::string::npos);
}

TEST(Page, TheLayoutShowsTheViewerEscaped) {
  const PageViewer viewer{"u_1", "<b>eve</b>", true, "csrf&token"};
  TemplateData data = PageData("Your devices", &viewer, PageNav::kDevices);
  data.Flag("has_sessions", false);
  const Response r = RenderPage(200, "devices.html", data);
  EXPECT_NE(r.body.find("&lt;b&gt;eve&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(r.body.find("<b>eve"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"csrf&amp;token\""), std::string::npos);
  EXPECT_NE(r.body.find("href=\"/devices\" aria-current=\"page\""), std::string::npos);
  EXPECT_NE(r.body.find("href=\"/admin\""), std::string::npos);
}

TEST(Page, AssetsAreServedWithTheirTypesAndVersioned) {
  auto css = AssetResponse("sesame.css");
  ASSERT_TRUE(css.has_value());
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  auto js = AssetResponse("sesame.js");
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->HeaderValue("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(AssetResponse("../sesame.toml").has_value());
  EXPECT_FALSE(AssetResponse("").has_value());
  EXPECT_EQ(AssetVersion().size(), 12u);
}

TEST(Page, TimesAreWrittenInUtc) {
  const TimePoint t = FromUnixSeconds(1795000000);
  EXPECT_EQ(IsoTime(t), "2026-11-18T11:06:40Z");
  EXPECT_EQ(TextTime(t), "2026-11-18 11:06 UTC");
}

}  // namespace
}  // namespace sesame::http
