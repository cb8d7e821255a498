#include "http/request_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::http {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

HttpPolicy Policy() {
  HttpPolicy p;
  p.session_cookie_name = "sesame_session";
  p.allowed_origins = {"https://app.example.com"};
  return p;
}

struct Built {
  std::vector<HeaderField> fields;
  Request request;
};

Built Make(Method method, std::vector<HeaderField> fields) {
  Built b{std::move(fields), {}};
  b.request.method = method;
  b.request.headers = b.fields;
  return b;
}

TEST(ExtractCredential, PrefersBearerThenTheSessionCookie) {
  auto b = Make(Method::kGet, {{"Authorization", "Bearer tok"}, {"Cookie", "sesame_session=c"}});
  EXPECT_EQ(ExtractCredential(b.request, Policy()).kind, Credential::Kind::kBearer);
  EXPECT_EQ(ExtractCredential(b.request, Policy()).token, "tok");
  auto c = Make(Method::kGet, {{"Cookie", "other=1; sesame_session=c"}});
  EXPECT_EQ(ExtractCredential(c.request, Policy()).kind, Credential::Kind::kCookie);
  EXPECT_EQ(ExtractCredential(c.request, Policy()).token, "c");
  auto none = Make(Method::kGet, {{"Authorization", "Basic abc"}});
  EXPECT_EQ(ExtractCredential(none.request, Policy()).kind, Credential::Kind::kNone);
}

TEST(CheckOrigin, AcceptsOwnAndAllowedOriginsOnly) {
  auto own = Make(Method::kPost, {{"Host", "localhost:8080"}, {"Origin", "http://localhost:8080"}});
  EXPECT_THAT(CheckOrigin(own.request, Policy()), IsOk());
  auto allowed = Make(Method::kPost, {{"Host", "x"}, {"Origin", "https://app.example.com"}});
  EXPECT_THAT(CheckOrigin(allowed.request, Policy()), IsOk());
  auto referer = Make(Method::kPost,
                      {{"Host", "localhost:8080"}, {"Referer", "http://localhost:8080/login?x"}});
  EXPECT_THAT(CheckOrigin(referer.request, Policy()), IsOk());
  for (auto fields : std::vector<std::vector<HeaderField>>{
           {{"Host", "localhost:8080"}, {"Origin", "http://evil.example"}},
           {{"Host", "localhost:8080"}, {"Origin", "http://localhost:8080.evil.example"}},
           {{"Host", "localhost:8080"}, {"Origin", "null"}},
           {{"Host", "localhost:8080"}},
           {{"Host", "localhost:8080"}, {"Referer", "http://evil.example/http://localhost:8080"}},
       }) {
    auto b = Make(Method::kPost, fields);
    EXPECT_THAT(CheckOrigin(b.request, Policy()), HasError(ErrorCode::kCsrfFailed));
  }
  HttpPolicy pinned = Policy();
  pinned.public_origin = "https://auth.example.com";
  auto spoofed_host =
      Make(Method::kPost, {{"Host", "evil.example"}, {"Origin", "http://evil.example"}});
  EXPECT_THAT(CheckOrigin(spoofed_host.request, pinned), HasError(ErrorCode::kCsrfFailed));
}

TEST(CheckCsrf, NeedsTheSessionsTokenInConstantTimeCompare) {
  auth::CachedSession session;
  session.csrf_token = "the-token";
  auto good =
      Make(Method::kPost, {{"Host", "h"}, {"Origin", "http://h"}, {"X-CSRF-Token", "the-token"}});
  EXPECT_THAT(CheckCsrf(good.request, session.csrf_token, Policy()), IsOk());
  auto wrong =
      Make(Method::kPost, {{"Host", "h"}, {"Origin", "http://h"}, {"X-CSRF-Token", "the-tokem"}});
  EXPECT_THAT(CheckCsrf(wrong.request, session.csrf_token, Policy()),
              HasError(ErrorCode::kCsrfFailed));
  auto missing = Make(Method::kPost, {{"Host", "h"}, {"Origin", "http://h"}});
  EXPECT_THAT(CheckCsrf(missing.request, session.csrf_token, Policy()),
              HasError(ErrorCode::kCsrfFailed));
  // A header-transport session has no CSRF token: its secret in a cookie never passes.
  auth::CachedSession header_session;
  auto empty = Make(Method::kPost, {{"Host", "h"}, {"Origin", "http://h"}, {"X-CSRF-Token", ""}});
  EXPECT_THAT(CheckCsrf(empty.request, header_session.csrf_token, Policy()),
              HasError(ErrorCode::kCsrfFailed));
}

TEST(FormCsrfToken, ReadsTheFieldOfAFormBodyOnly) {
  auto form = Make(Method::kPost, {{"Content-Type", "application/x-www-form-urlencoded"}});
  form.request.body = "a=1&csrf_token=t%2Bk&csrf_token=second";
  EXPECT_EQ(FormCsrfToken(form.request), "t+k");
  auto json = Make(Method::kPost, {{"Content-Type", "application/json"}});
  json.request.body = "csrf_token=t";
  EXPECT_EQ(FormCsrfToken(json.request), "");
  auto garbled = Make(Method::kPost, {{"Content-Type", "application/x-www-form-urlencoded"}});
  garbled.request.body = "csrf_token=%zz";
  EXPECT_EQ(FormCsrfToken(garbled.request), "");
}

TEST(CheckCsrf, APresentedTokenStillNeedsOurOrigin) {
  auto foreign = Make(Method::kPost, {{"Host", "h"}, {"Origin", "http://evil.example"}});
  EXPECT_THAT(CheckCsrf(foreign.request, "the-token", "the-token", Policy()),
              HasError(ErrorCode::kCsrfFailed));
  auto own = Make(Method::kPost, {{"Host", "h"}, {"Origin", "http://h"}});
  EXPECT_THAT(CheckCsrf(own.request, "the-token", "the-token", Policy()), IsOk());
  EXPECT_THAT(CheckCsrf(own.request, "the-tokem", "the-token", Policy()),
              HasError(ErrorCode::kCsrfFailed));
  EXPECT_THAT(CheckCsrf(own.request, "", "", Policy()), HasError(ErrorCode::kCsrfFailed));
}

}  // namespace
}  // namespace sesame::http
