// GET /v1/revocations: API-key authentication, query checks, and a snapshot followed by an
// increment, through the real router, services and feed pool. Long-polls are left to the
// integration suite (they hold a thread for real time).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "route_harness.h"

namespace sesame::http {
namespace {

using ::sesame::testing::ClientSession;
using ::sesame::testing::Headers;
using ::sesame::testing::JsonBody;
using ::sesame::testing::RouteHarness;

const Headers kClient{{"Authorization", std::string("Bearer ") + RouteHarness::kClientKey}};

TEST(RevocationRoutes, AnApiClientIsRequired) {
  RouteHarness h;
  const Response missing = h.Send(Method::kGet, "/v1/revocations");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(JsonBody(missing)["error"], "missing_credentials");
  const Response wrong =
      h.Send(Method::kGet, "/v1/revocations", {{"Authorization", "Bearer not-the-key"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(JsonBody(wrong)["error"], "invalid_credentials");
}

TEST(RevocationRoutes, BadSinceOrWaitIsInvalidRequest) {
  RouteHarness h;
  for (const char* query : {"?since=-1", "?since=abc", "?since=+1", "?wait=31", "?wait=x"}) {
    const Response r = h.Send(Method::kGet, std::string("/v1/revocations") + query, kClient);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(JsonBody(r)["error"], "invalid_request") << query;
  }
}

TEST(RevocationRoutes, ASnapshotThenTheRevocationsAfterItsCursor) {
  RouteHarness h;
  const store::User alice = h.AddUser("alice", "password-1");
  const ClientSession before = h.Login("alice", "password-1", store::SessionMode::kJwt);
  ASSERT_EQ(h.Send(Method::kPost, "/v1/auth/logout", RouteHarness::Bearer(before)).status, 204);

  const Response snapshot = h.Send(Method::kGet, "/v1/revocations", kClient);
  ASSERT_EQ(snapshot.status, 200) << snapshot.body;
  const auto first = JsonBody(snapshot);
  EXPECT_EQ(first["snapshot"], true);
  EXPECT_EQ(first["horizon"], 305);
  ASSERT_EQ(first["revoked_sessions"].size(), 1u);
  EXPECT_EQ(first["revoked_sessions"][0]["sid"], before.id);
  EXPECT_EQ(first["revoked_sessions"][0]["sub"], alice.id);
  const std::string cursor = first["cursor"];

  const ClientSession after = h.Login("alice", "password-1", store::SessionMode::kJwt);
  ASSERT_EQ(h.Send(Method::kPost, "/v1/auth/logout", RouteHarness::Bearer(after)).status, 204);
  const Response next = h.Send(Method::kGet, "/v1/revocations?since=" + cursor, kClient);
  ASSERT_EQ(next.status, 200) << next.body;
  const auto second = JsonBody(next);
  EXPECT_EQ(second["snapshot"], false);
  ASSERT_EQ(second["revoked_sessions"].size(), 1u);
  EXPECT_EQ(second["revoked_sessions"][0]["sid"], after.id);
  EXPECT_NE(second["cursor"], cursor);
}

}  // namespace
}  // namespace sesame::http
