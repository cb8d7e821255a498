#include "auth/session_service.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth_fixture.h"
#include "result_matchers.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::AuthFixture;
using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

SessionPolicy ShortPolicy() {
  SessionPolicy p;
  p.idle_timeout = Seconds(100);
  p.absolute_timeout = Seconds(1000);
  return p;
}

class SessionServiceTest : public ::testing::Test {
 protected:
  SessionServiceTest() : f(ShortPolicy()) { user = f.AddUser("alice", "password-1"); }

  NewSession NewLogin() {
    auto s = f.sessions.Create(user, store::SessionMode::kSession, store::Transport::kHeader, false,
                               "192.0.2.1", "test");
    EXPECT_THAT(s, IsOk());
    return *s;
  }

  // What the HTTP layer does: the cache, else the store (on a worker).
  Result<Authenticated> Use(const std::string& secret) {
    auto cached = f.sessions.FindCached(secret);
    return cached ? std::move(*cached) : f.sessions.Load(secret);
  }

  AuthFixture f;
  store::User user;
};

TEST_F(SessionServiceTest, StoresOnlyTheHashOfTheSecret) {
  NewSession s = NewLogin();
  EXPECT_EQ(s.session_secret.size(), 43u);  // 256 bits, base64url
  auto stored = f.store.FindSessionById(s.record.id);
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_NE((*stored)->secret_hash, s.session_secret);
  EXPECT_EQ((*stored)->secret_hash, SecretHashText(HashSecret(s.session_secret)));
}

TEST_F(SessionServiceTest, LoadsFromTheStoreThenServesFromTheCache) {
  NewSession s = NewLogin();
  EXPECT_FALSE(f.sessions.FindCached(s.session_secret).has_value());
  auto loaded = f.sessions.Load(s.session_secret);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->session->user_id, user.id);
  auto cached = f.sessions.FindCached(s.session_secret);
  ASSERT_TRUE(cached.has_value());
  ASSERT_THAT(*cached, IsOk());
  EXPECT_EQ((*cached)->session->session_id, s.record.id);
}

TEST_F(SessionServiceTest, UnknownSecretIsInvalidToken) {
  EXPECT_THAT(f.sessions.Load("no-such-secret"), HasError(ErrorCode::kInvalidToken));
}

TEST_F(SessionServiceTest, DeadSecretsAreAnsweredWithoutTheStore) {
  NewSession s = NewLogin();
  ASSERT_THAT(f.sessions.Revoke(s.record.id, "logout", {}), IsOk());
  EXPECT_THAT(f.sessions.Load(s.session_secret), HasError(ErrorCode::kSessionRevoked));
  EXPECT_THAT(f.sessions.Load("garbage"), HasError(ErrorCode::kInvalidToken));
  f.store.SetUnavailable(true);  // from here on, any store read would say unavailable
  auto revoked = f.sessions.FindCached(s.session_secret);
  ASSERT_TRUE(revoked.has_value());
  EXPECT_THAT(*revoked, HasError(ErrorCode::kSessionRevoked));
  auto garbage = f.sessions.FindCached("garbage");
  ASSERT_TRUE(garbage.has_value());
  EXPECT_THAT(*garbage, HasError(ErrorCode::kInvalidToken));
  // A live session is not affected by its neighbours' deaths.
  EXPECT_FALSE(f.sessions.FindCached("another-unknown").has_value());
}

TEST_F(SessionServiceTest, IdleTimeoutSlidesOnUse) {
  NewSession s = NewLogin();
  ASSERT_THAT(f.sessions.Load(s.session_secret), IsOk());
  // Ten uses 90 s apart (past the cache's revalidation age, so the store is read too), with
  // the last-seen writes left unwritten: the idle timeout still slides.
  for (int i = 0; i < 10; ++i) {
    f.clock.Advance(Seconds(90));
    EXPECT_THAT(Use(s.session_secret), IsOk()) << "use " << i;
  }
  f.clock.Advance(Seconds(100));
  EXPECT_THAT(Use(s.session_secret), HasError(ErrorCode::kSessionExpired));
  f.background.RunAll();
  f.sessions.cache().Clear();
  EXPECT_THAT(Use(s.session_secret), HasError(ErrorCode::kSessionExpired));
}

TEST_F(SessionServiceTest, AbsoluteTimeoutNeverMoves) {
  NewSession s = NewLogin();
  ASSERT_THAT(f.sessions.Load(s.session_secret), IsOk());
  for (int i = 0; i < 11; ++i) {
    f.clock.Advance(Seconds(90));
    f.background.RunAll();
    ASSERT_THAT(Use(s.session_secret), IsOk());
  }
  // 990 s of steady use; at 1000 s it ends, from the cache and from the store alike.
  f.clock.Advance(Seconds(10));
  EXPECT_THAT(Use(s.session_secret), HasError(ErrorCode::kSessionExpired));
  EXPECT_THAT(f.sessions.Load(s.session_secret), HasError(ErrorCode::kSessionExpired));
}

TEST_F(SessionServiceTest, LastSeenWritesAreBoundedPerSession) {
  NewSession s = NewLogin();
  ASSERT_THAT(f.sessions.Load(s.session_secret), IsOk());
  f.background.RunAll();
  // idle 100 s → at most one write per 10 s: 1000 uses within 9 s write nothing.
  for (int i = 0; i < 1000; ++i) {
    (void)f.sessions.FindCached(s.session_secret);
  }
  f.clock.Advance(Seconds(9));
  (void)f.sessions.FindCached(s.session_secret);
  EXPECT_EQ(f.background.tasks.size(), 0u);
  f.clock.Advance(Seconds(1));
  for (int i = 0; i < 100; ++i) {
    (void)f.sessions.FindCached(s.session_secret);
  }
  EXPECT_EQ(f.background.tasks.size(), 1u);
  f.background.RunAll();
  auto stored = f.store.FindSessionById(s.record.id);
  EXPECT_EQ((*stored)->last_seen_at, f.clock.Now());
  EXPECT_EQ((*stored)->idle_expires_at, f.clock.Now() + Seconds(100));
}

TEST_F(SessionServiceTest, RevokedSessionIsNeverServedFromTheCache) {
  NewSession s = NewLogin();
  ASSERT_THAT(f.sessions.Load(s.session_secret), IsOk());
  ASSERT_TRUE(f.sessions.FindCached(s.session_secret).has_value());
  ASSERT_THAT(f.sessions.Revoke(s.record.id, "logout", {}), IsOk());
  EXPECT_FALSE(f.sessions.FindCached(s.session_secret).has_value());
  EXPECT_THAT(f.sessions.Load(s.session_secret), HasError(ErrorCode::kSessionRevoked));
}

TEST_F(SessionServiceTest, AFillThatRacedWithARevocationIsNotCached) {
  NewSession s = NewLogin();
  SessionCache& cache = f.sessions.cache();
  const uint64_t epoch = cache.BeginFill();                           // a reader starts loading...
  ASSERT_THAT(f.sessions.Revoke(s.record.id, "logout", {}), IsOk());  // ...a revoke lands
  auto snapshot = std::make_shared<CachedSession>();
  snapshot->session_id = s.record.id;
  cache.Insert(HashSecret(s.session_secret), snapshot, 0, 0, 0, epoch);  // stale fill
  EXPECT_EQ(cache.Find(HashSecret(s.session_secret)), nullptr);
}

TEST_F(SessionServiceTest, NoThreadSucceedsAfterRevokeReturns) {
  NewSession s = NewLogin();
  ASSERT_THAT(f.sessions.Load(s.session_secret), IsOk());
  std::atomic<bool> revoked{false};
  std::atomic<int> served_after_revoke{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const bool was_revoked = revoked.load();
        auto r = f.sessions.FindCached(s.session_secret);
        Result<Authenticated> a = r ? std::move(*r) : f.sessions.Load(s.session_secret);
        if (was_revoked && a.has_value()) {
          served_after_revoke.fetch_add(1);
        }
      }
    });
  }
  std::this_thread::yield();
  ASSERT_THAT(f.sessions.Revoke(s.record.id, "logout", {}), IsOk());
  revoked.store(true);
  for (int i = 0; i < 2000; ++i) {
    std::this_thread::yield();
  }
  stop.store(true);
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_EQ(served_after_revoke.load(), 0);
}

TEST_F(SessionServiceTest, RevokeAllEndsEverySessionOfTheUserOnly) {
  NewSession a = NewLogin();
  NewSession b = NewLogin();
  store::User bob = f.AddUser("bob", "password-2");
  auto other = f.sessions.Create(bob, store::SessionMode::kSession, store::Transport::kHeader,
                                 false, "192.0.2.2", "test");
  ASSERT_THAT(f.sessions.Load(a.session_secret), IsOk());
  auto n = f.sessions.RevokeAll(user.id, "logout_all", {});
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 2u);
  EXPECT_THAT(f.sessions.Load(a.session_secret), HasError(ErrorCode::kSessionRevoked));
  EXPECT_THAT(f.sessions.Load(b.session_secret), HasError(ErrorCode::kSessionRevoked));
  EXPECT_THAT(f.sessions.Load(other->session_secret), IsOk());
}

TEST_F(SessionServiceTest, ChangesFromOtherProcessesInvalidateTheCache) {
  NewSession s = NewLogin();
  ASSERT_THAT(f.sessions.FollowChanges(), IsOk());  // sets the cursor
  ASSERT_THAT(f.sessions.Load(s.session_secret), IsOk());
  // Another process (the CLI) revokes straight in the store.
  ASSERT_THAT(f.store.RevokeSession(s.record.id, "admin", f.clock.Now()), IsOk());
  ASSERT_TRUE(f.sessions.FindCached(s.session_secret).has_value());  // not seen yet
  ASSERT_THAT(f.sessions.FollowChanges(), IsOk());
  EXPECT_FALSE(f.sessions.FindCached(s.session_secret).has_value());
}

TEST_F(SessionServiceTest, StoreDownIsUnavailableAndLogsNobodyOut) {
  NewSession s = NewLogin();
  f.store.SetUnavailable(true);
  EXPECT_THAT(f.sessions.Load(s.session_secret), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(f.sessions.Revoke(s.record.id, "logout", {}), HasError(ErrorCode::kUnavailable));
  f.store.SetUnavailable(false);
  EXPECT_THAT(f.sessions.Load(s.session_secret), IsOk());
}

}  // namespace
}  // namespace sesame::auth
