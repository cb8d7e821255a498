#include "auth/revocation_set.h"

#include <gtest/gtest.h>

namespace sesame::auth {
namespace {

constexpr int64_t kT = 1'800'000'000;

TEST(RevocationSetTest, NothingIsRevokedUntilPublished) {
  RevocationSet set(Seconds(60));
  EXPECT_FALSE(set.IsRevoked("s_1", "u_1", kT));
  EXPECT_EQ(set.size(), 0u);
}

TEST(RevocationSetTest, ARevokedSessionKillsEveryTokenOfIt) {
  RevocationSet set(Seconds(60));
  set.Publish(Revocation{Revocation::Kind::kSession, "s_1", FromUnixSeconds(kT)});
  EXPECT_TRUE(set.IsRevoked("s_1", "u_1", kT - 10));
  EXPECT_TRUE(set.IsRevoked("s_1", "u_1", kT + 10));
  EXPECT_FALSE(set.IsRevoked("s_2", "u_1", kT - 10));
  EXPECT_EQ(set.size(), 1u);
  set.Publish(Revocation{Revocation::Kind::kSession, "s_1", FromUnixSeconds(kT + 5)});
  EXPECT_EQ(set.size(), 1u);
}

TEST(RevocationSetTest, AUserCutoffKillsTokensIssuedBeforeIt) {
  RevocationSet set(Seconds(60));
  set.Publish(Revocation{Revocation::Kind::kUser, "u_1", FromUnixSeconds(kT)});
  EXPECT_TRUE(set.IsRevoked("s_1", "u_1", kT - 1));
  EXPECT_FALSE(set.IsRevoked("s_9", "u_1", kT));  // a login right after the cut-off
  EXPECT_FALSE(set.IsRevoked("s_1", "u_2", kT - 1));
  // A later cut-off moves forward, never back.
  set.Publish(Revocation{Revocation::Kind::kUser, "u_1", FromUnixSeconds(kT + 20)});
  set.Publish(Revocation{Revocation::Kind::kUser, "u_1", FromUnixSeconds(kT + 10)});
  EXPECT_TRUE(set.IsRevoked("s_9", "u_1", kT + 19));
}

TEST(RevocationSetTest, EntriesLeaveOnlyWhenEveryTokenTheyCoverHasExpired) {
  RevocationSet set(Seconds(60));
  set.Publish(Revocation{Revocation::Kind::kSession, "s_1", FromUnixSeconds(kT)});
  set.Publish(Revocation{Revocation::Kind::kUser, "u_1", FromUnixSeconds(kT + 30)});
  set.Prune(FromUnixSeconds(kT + 60));
  EXPECT_TRUE(set.IsRevoked("s_1", "u_x", kT));
  EXPECT_EQ(set.size(), 2u);
  set.Prune(FromUnixSeconds(kT + 61));
  EXPECT_FALSE(set.IsRevoked("s_1", "u_x", kT));
  EXPECT_TRUE(set.IsRevoked("s_2", "u_1", kT));
  EXPECT_EQ(set.size(), 1u);
  set.Prune(FromUnixSeconds(kT + 91));
  EXPECT_EQ(set.size(), 0u);
}

}  // namespace
}  // namespace sesame::auth
