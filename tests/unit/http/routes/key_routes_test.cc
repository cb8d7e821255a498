// GET /.well-known/jwks.json: the public keys, cacheable for the rotation schedule.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;
using ::testing::StartsWith;

TEST(KeyRoutes, ServesThePublicHalfOfTheSigningKey) {
  RouteHarness h;
  const Response r = h.Send(Method::kGet, "/.well-known/jwks.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/jwk-set+json");
  EXPECT_THAT(std::string(r.HeaderValue("Cache-Control")), StartsWith("public, max-age="));
  const auto keys = JsonBody(r)["keys"];
  ASSERT_FALSE(keys.empty());
  for (const auto& key : keys) {
    EXPECT_EQ(key["kty"], "EC");
    EXPECT_FALSE(key.value("kid", "").empty());
    EXPECT_FALSE(key.contains("d")) << "a private part was published";
  }
}

}  // namespace
}  // namespace sesame::http
