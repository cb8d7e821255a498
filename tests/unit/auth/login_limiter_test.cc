#include "auth/login_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_matchers.h"
#include "store/memory/memory_store.h"
#include "test_clock.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;
using ::sesame::testing::TestClock;

class LoginLimiterTest : public ::testing::Test {
 protected:
  TestClock clock;
  store::MemoryStore store;
  LoginLimiter limiter{store, RateLimit{5, Seconds(900)}, RateLimit{20, Seconds(60)}};

  void Fail(const char* user, const char* ip, int times) {
    for (int i = 0; i < times; ++i) {
      ASSERT_THAT(limiter.RecordFailure(user, ip, clock.Now()), IsOk());
    }
  }
};

TEST_F(LoginLimiterTest, DelaysGrowFromTheThirdFailure) {
  EXPECT_EQ(limiter.DelayAfter(2), Seconds(0));
  EXPECT_EQ(limiter.DelayAfter(3), Seconds(1));
  EXPECT_EQ(limiter.DelayAfter(4), Seconds(2));
  EXPECT_EQ(limiter.DelayAfter(6), Seconds(8));
  LoginLimiter slower(store, RateLimit{5, Seconds(900)}, RateLimit{20, Seconds(60)}, Seconds(3));
  EXPECT_EQ(slower.DelayAfter(3), Seconds(3));
  EXPECT_EQ(slower.DelayAfter(5), Seconds(12));
}

TEST(AddressPrefix, GroupsIpv4By24AndIpv6By64) {
  EXPECT_EQ(AddressPrefix("203.0.113.77"), "203.0.113.0/24");
  EXPECT_EQ(AddressPrefix("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(AddressPrefix("not-an-ip"), "not-an-ip");
}

TEST_F(LoginLimiterTest, WaitsAfterRepeatedFailuresThenAdmitsAgain) {
  Fail("alice", "192.0.2.1", 2);
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), IsOk());
  Fail("alice", "192.0.2.1", 2);  // 4 failures: wait 2 s
  auto limited = limiter.Admit("alice", "192.0.2.1", clock.Now());
  ASSERT_THAT(limited, HasError(ErrorCode::kRateLimited));
  EXPECT_EQ(limited.error().retry_after_seconds, 2);
  clock.Advance(Seconds(2));
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), IsOk());
}

TEST_F(LoginLimiterTest, BlocksAtTheLimitUntilTheWindowEnds) {
  Fail("alice", "192.0.2.1", 5);
  clock.Advance(Seconds(100));
  auto limited = limiter.Admit("alice", "192.0.2.1", clock.Now());
  ASSERT_THAT(limited, HasError(ErrorCode::kRateLimited));
  EXPECT_EQ(limited.error().retry_after_seconds, 800);
  clock.Advance(Seconds(800));
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), IsOk());
}

TEST_F(LoginLimiterTest, AnAttackerElsewhereCannotLockTheOwnerOut) {
  Fail("alice", "198.51.100.9", 5);  // attacker's network
  EXPECT_THAT(limiter.Admit("alice", "198.51.100.200", clock.Now()),
              HasError(ErrorCode::kRateLimited));
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), IsOk());   // the owner
  EXPECT_THAT(limiter.Admit("bob", "198.51.100.9", clock.Now()), IsOk());  // other accounts
}

TEST_F(LoginLimiterTest, SuccessClearsTheFailures) {
  Fail("alice", "192.0.2.1", 4);
  ASSERT_THAT(limiter.RecordSuccess("alice", "192.0.2.1"), IsOk());
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), IsOk());
}

TEST_F(LoginLimiterTest, PerAddressBudgetCountsEveryAttempt) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(limiter.Admit("user" + std::to_string(i), "192.0.2.1", clock.Now()), IsOk());
  }
  auto limited = limiter.Admit("someone", "192.0.2.77", clock.Now());
  ASSERT_THAT(limited, HasError(ErrorCode::kRateLimited));
  EXPECT_EQ(limited.error().retry_after_seconds, 60);
  EXPECT_THAT(limiter.Admit("someone", "203.0.113.1", clock.Now()), IsOk());
  clock.Advance(Seconds(60));
  EXPECT_THAT(limiter.Admit("someone", "192.0.2.77", clock.Now()), IsOk());
}

TEST_F(LoginLimiterTest, StoreDownIsUnavailableNotAllowed) {
  store.SetUnavailable(true);
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), HasError(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace sesame::auth
