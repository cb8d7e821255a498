#include "auth/login_limiter.h"

#include <atomic>
#include <thread>
#include <vector>

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

  // Takes `times` failure slots, waiting out each gap as a patient guesser would.
  void Fail(const char* user, const char* ip, int times) {
    for (int i = 0; i < times; ++i) {
      auto attempt = limiter.Admit(user, ip, clock.Now());
      if (!attempt && attempt.error().code == ErrorCode::kRateLimited) {
        clock.Advance(Seconds(attempt.error().retry_after_seconds));
        attempt = limiter.Admit(user, ip, clock.Now());
      }
      ASSERT_THAT(attempt, IsOk());
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

TEST(AddressPrefix, MappedIpv4IsIpv4) {
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; each must keep its own /24
  // instead of all of IPv4 falling into the one /64 ::ffff:0:0/64.
  EXPECT_EQ(AddressPrefix("::ffff:203.0.113.77"), "203.0.113.0/24");
  EXPECT_NE(AddressPrefix("::ffff:198.51.100.1"), AddressPrefix("::ffff:203.0.113.77"));
}

TEST_F(LoginLimiterTest, WaitsAfterRepeatedFailuresThenAdmitsAgain) {
  Fail("alice", "192.0.2.1", 3);  // three at once: no wait yet
  auto limited = limiter.Admit("alice", "192.0.2.1", clock.Now());
  ASSERT_THAT(limited, HasError(ErrorCode::kRateLimited));
  EXPECT_EQ(limited.error().retry_after_seconds, 1);
  clock.Advance(Seconds(1));
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), IsOk());  // the 4th
  ASSERT_THAT(limiter.RecordFailure("alice", "192.0.2.1", clock.Now()), IsOk());
  limited = limiter.Admit("alice", "192.0.2.1", clock.Now());
  ASSERT_THAT(limited, HasError(ErrorCode::kRateLimited));
  EXPECT_EQ(limited.error().retry_after_seconds, 2);
}

TEST_F(LoginLimiterTest, BlocksAtTheLimitUntilTheWindowEnds) {
  Fail("alice", "192.0.2.1", 5);  // at 0, 0, 0, 1 and 3 s
  clock.Advance(Seconds(100));
  auto limited = limiter.Admit("alice", "192.0.2.1", clock.Now());
  ASSERT_THAT(limited, HasError(ErrorCode::kRateLimited));
  EXPECT_EQ(limited.error().retry_after_seconds, 797);
  clock.Advance(Seconds(797));
  EXPECT_THAT(limiter.Admit("alice", "192.0.2.1", clock.Now()), IsOk());
}

TEST_F(LoginLimiterTest, ASlotIsTakenBeforeThePasswordIsChecked) {
  // Concurrent guesses: every Admit is a slot taken at once, so a burst gets the cap (5 here)
  // and no more, however many run before any verdict is known.
  int granted = 0;
  for (int i = 0; i < 30; ++i) {
    granted += limiter.Admit("alice", "192.0.2.1", clock.Now()).has_value() ? 1 : 0;
  }
  EXPECT_EQ(granted, 5);
}

TEST_F(LoginLimiterTest, ConcurrentBurstsNeverRunMoreChecksThanTheCap) {
  LoginLimiter no_spacing(store, RateLimit{10, Seconds(900)}, RateLimit{1000, Seconds(60)},
                          Seconds(0));
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        if (no_spacing.Admit("alice", "192.0.2.1", clock.Now())) {
          granted.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(granted.load(), 10);
}

TEST_F(LoginLimiterTest, GiveBackReturnsTheSlot) {
  Fail("alice", "192.0.2.1", 3);
  limiter.GiveBack("alice", "192.0.2.1");  // the third never reached a verdict
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
