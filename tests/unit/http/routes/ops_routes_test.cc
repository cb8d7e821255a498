// GET /healthz, /readyz (the failing store named to operators only) and /metrics (behind the
// metrics token), through the real router.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBearerToken = std::string("Bearer ") + RouteHarness::kMetricsToken;

TEST(OpsRoutes, HealthzAndReadyzAnswerOk) {
  RouteHarness h;
  const Response health = h.Send(Method::kGet, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(JsonBody(health)["status"], "ok");
  const Response ready = h.Send(Method::kGet, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(JsonBody(ready)["status"], "ready");
}

TEST(OpsRoutes, ReadyzNamesTheFailingStoreToLoopbackAndTokenHoldersOnly) {
  RouteHarness h;
  h.ready = [] { return MakeError(ErrorCode::kUnavailable, "sessions at redis://10.0.0.5"); };
  const Response remote = h.Send(Method::kGet, "/readyz");
  EXPECT_EQ(remote.status, 503);
  EXPECT_EQ(JsonBody(remote)["error"], "unavailable");
  EXPECT_FALSE(remote.HeaderValue("Retry-After").empty());
  EXPECT_THAT(remote.body, Not(HasSubstr("10.0.0.5")));
  const Response loopback = h.Send(Method::kGet, "/readyz", {}, {}, "127.0.0.1");
  EXPECT_EQ(loopback.status, 503);
  EXPECT_THAT(loopback.body, HasSubstr("10.0.0.5"));
  const Response with_token = h.Send(Method::kGet, "/readyz", {{"Authorization", kBearerToken}});
  EXPECT_THAT(with_token.body, HasSubstr("10.0.0.5"));
  const Response wrong_token =
      h.Send(Method::kGet, "/readyz", {{"Authorization", "Bearer guessed"}});
  EXPECT_THAT(wrong_token.body, Not(HasSubstr("10.0.0.5")));
}

TEST(OpsRoutes, MetricsNeedTheTokenWhenOneIsConfigured) {
  RouteHarness h;
  const Response missing = h.Send(Method::kGet, "/metrics");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(JsonBody(missing)["error"], "missing_credentials");
  const Response wrong = h.Send(Method::kGet, "/metrics", {{"Authorization", "Bearer guessed"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(JsonBody(wrong)["error"], "invalid_token");
  EXPECT_FALSE(wrong.HeaderValue("WWW-Authenticate").empty());
  const Response ok = h.Send(Method::kGet, "/metrics", {{"Authorization", kBearerToken}});
  ASSERT_EQ(ok.status, 200);
  EXPECT_THAT(ok.content_type, HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(ok.body, HasSubstr("# TYPE"));
  EXPECT_EQ(ok.HeaderValue("Cache-Control"), "no-store");
}

}  // namespace
}  // namespace sesame::http
