#include "auth/refresh_service.h"

#include <atomic>
#include <set>
#include <string>
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

SessionPolicy Policy() {
  SessionPolicy p;
  p.idle_timeout = Seconds(100);
  p.absolute_timeout = Seconds(1000);
  return p;
}

class RefreshServiceTest : public ::testing::Test {
 protected:
  RefreshServiceTest() : f(Policy()) { user = f.AddUser("alice", "password-1"); }

  NewSession NewJwtLogin() {
    auto s = f.sessions.Create(user, store::SessionMode::kJwt, store::Transport::kHeader, false,
                               "192.0.2.1", "test");
    EXPECT_THAT(s, IsOk());
    return *s;
  }

  Result<Refreshed> Refresh(const std::string& token) {
    return f.refresh.Refresh(token, Actor{{}, "192.0.2.1"});
  }

  store::Session Stored(const std::string& session_id) {
    auto found = f.store.FindSessionById(session_id);
    EXPECT_THAT(found, IsOk());
    return found && *found ? **found : store::Session{};
  }

  std::multiset<std::string> AuditDetails(const std::string& type) {
    std::multiset<std::string> out;
    auto events = f.store.Recent(user.id, 100);
    for (const store::AuditEvent& e : events.value_or(std::vector<store::AuditEvent>())) {
      if (e.type == type) {
        out.insert(e.detail);
      }
    }
    return out;
  }

  AuthFixture f;
  store::User user;
};

TEST_F(RefreshServiceTest, LoginStoresOnlyTheHashOfGenerationZero) {
  const NewSession login = NewJwtLogin();
  EXPECT_EQ(login.refresh_token, f.secrets.RefreshToken(login.record.id, 0));
  const store::Session s = Stored(login.record.id);
  EXPECT_EQ(s.refresh_generation, 0);
  EXPECT_EQ(s.refresh_hash, SecretHashText(HashSecret(login.refresh_token)));
  EXPECT_TRUE(s.secret_hash.empty());
  EXPECT_EQ(s.refresh_hash.find(login.refresh_token), std::string::npos);
}

TEST_F(RefreshServiceTest, RotatesOnUseAndSlidesTheIdleExpiryButNotTheAbsolute) {
  const NewSession login = NewJwtLogin();
  f.clock.Advance(Seconds(60));
  auto first = Refresh(login.refresh_token);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->outcome, RefreshOutcome::kOk);
  EXPECT_EQ(first->refresh_token, f.secrets.RefreshToken(login.record.id, 1));
  EXPECT_EQ(first->user.id, user.id);
  const store::Session s = Stored(login.record.id);
  EXPECT_EQ(s.refresh_generation, 1);
  EXPECT_EQ(s.idle_expires_at, f.clock.Now() + Seconds(100));
  EXPECT_EQ(s.absolute_expires_at, login.record.absolute_expires_at);
  EXPECT_EQ(first->refresh_expires_at, login.record.absolute_expires_at);  // capped
  EXPECT_EQ(f.counters.refreshes_ok.load(), 1u);
  EXPECT_EQ(AuditDetails("refresh"), std::multiset<std::string>({"ok"}));
}

TEST_F(RefreshServiceTest, ARetryWithinGraceGetsTheSameSuccessorAndRotatesNothing) {
  const NewSession login = NewJwtLogin();
  auto first = Refresh(login.refresh_token);
  ASSERT_THAT(first, IsOk());
  f.clock.Advance(Seconds(30));  // the grace window is 30 s, inclusive
  auto retry = Refresh(login.refresh_token);
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->outcome, RefreshOutcome::kRace);
  EXPECT_EQ(retry->refresh_token, first->refresh_token);
  EXPECT_EQ(Stored(login.record.id).refresh_generation, 1);
  EXPECT_FALSE(Stored(login.record.id).IsRevoked());
  EXPECT_EQ(f.counters.refreshes_race.load(), 1u);
  // The successor is still the live branch.
  auto next = Refresh(first->refresh_token);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->outcome, RefreshOutcome::kOk);
  EXPECT_EQ(AuditDetails("refresh"), std::multiset<std::string>({"ok", "ok", "race"}));
}

TEST_F(RefreshServiceTest, ThePreviousTokenAfterGraceIsTheftAndRevokesTheFamily) {
  const NewSession login = NewJwtLogin();
  auto first = Refresh(login.refresh_token);
  ASSERT_THAT(first, IsOk());
  f.clock.Advance(Seconds(31));
  EXPECT_THAT(Refresh(login.refresh_token), HasError(ErrorCode::kRefreshTokenReused));
  const store::Session s = Stored(login.record.id);
  EXPECT_TRUE(s.IsRevoked());
  EXPECT_EQ(s.revoke_reason, "refresh_token_reused");
  // The live successor dies with the family, and so do its access tokens.
  EXPECT_THAT(Refresh(first->refresh_token), HasError(ErrorCode::kSessionRevoked));
  EXPECT_TRUE(f.revocations.IsRevoked(login.record.id, user.id, f.clock.unix_seconds()));
  EXPECT_EQ(f.counters.refreshes_theft.load(), 1u);
  EXPECT_EQ(AuditDetails("refresh"), std::multiset<std::string>({"ok", "theft"}));
}

TEST_F(RefreshServiceTest, AnOlderGenerationIsTheftEvenWithinGrace) {
  const NewSession login = NewJwtLogin();
  auto first = Refresh(login.refresh_token);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(Refresh(first->refresh_token), IsOk());
  EXPECT_THAT(Refresh(login.refresh_token), HasError(ErrorCode::kRefreshTokenReused));
  EXPECT_TRUE(Stored(login.record.id).IsRevoked());
}

TEST_F(RefreshServiceTest, UnknownTokensAreInvalidAndRevokeNothing) {
  const NewSession login = NewJwtLogin();
  const NewSession session_mode = *f.sessions.Create(
      user, store::SessionMode::kSession, store::Transport::kHeader, false, "192.0.2.1", "test");
  const std::string other_key_token =
      SessionSecrets::FromKey(SecretBytes(std::string(32, 'x')))->RefreshToken(login.record.id, 0);
  for (const std::string& token :
       {std::string("garbage"), std::string(), other_key_token, session_mode.session_secret,
        f.secrets.RefreshToken(login.record.id, 5),         // a generation never minted
        f.secrets.RefreshToken(session_mode.record.id, 0),  // a session-mode session
        f.secrets.RefreshToken("s_unknown", 0)}) {
    EXPECT_THAT(Refresh(token), HasError(ErrorCode::kInvalidToken)) << token;
  }
  EXPECT_FALSE(Stored(login.record.id).IsRevoked());
  EXPECT_EQ(f.counters.refreshes_theft.load(), 0u);
  EXPECT_THAT(Refresh(login.refresh_token), IsOk());
}

TEST_F(RefreshServiceTest, TimeoutsEndRefreshing) {
  const NewSession idle = NewJwtLogin();
  f.clock.Advance(Seconds(100));  // idle timeout
  EXPECT_THAT(Refresh(idle.refresh_token), HasError(ErrorCode::kSessionExpired));

  const NewSession kept = NewJwtLogin();
  std::string token = kept.refresh_token;
  for (int i = 0; i < 9; ++i) {  // 9 × 99 s: refreshed in time, so idle never bites
    f.clock.Advance(Seconds(99));
    auto r = Refresh(token);
    ASSERT_THAT(r, IsOk()) << i;
    token = r->refresh_token;
  }
  f.clock.Advance(Seconds(110));  // past the absolute timeout (1000 s)
  EXPECT_THAT(Refresh(token), HasError(ErrorCode::kSessionExpired));
}

TEST_F(RefreshServiceTest, RevokedSessionsAndDisabledUsersCannotRefresh) {
  const NewSession login = NewJwtLogin();
  ASSERT_THAT(f.sessions.Revoke(login.record.id, "logout", Actor{}), IsOk());
  EXPECT_THAT(Refresh(login.refresh_token), HasError(ErrorCode::kSessionRevoked));

  const NewSession other = NewJwtLogin();
  ASSERT_THAT(f.store.SetDisabled(user.id, true, f.clock.Now()), IsOk());
  EXPECT_THAT(Refresh(other.refresh_token), HasError(ErrorCode::kSessionRevoked));
}

TEST_F(RefreshServiceTest, AStoreOutageAnswersUnavailableAndWritesNothing) {
  const NewSession login = NewJwtLogin();
  f.store.SetUnavailable(true);
  EXPECT_THAT(Refresh(login.refresh_token), HasError(ErrorCode::kUnavailable));
  f.store.SetUnavailable(false);
  const store::Session s = Stored(login.record.id);
  EXPECT_EQ(s.refresh_generation, 0);
  EXPECT_FALSE(s.IsRevoked());
  auto r = Refresh(login.refresh_token);  // the same token still works
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->outcome, RefreshOutcome::kOk);
}

TEST_F(RefreshServiceTest, ConcurrentRefreshesOfOneTokenShareOneSuccessor) {
  const NewSession login = NewJwtLogin();
  constexpr int kThreads = 8;
  std::vector<std::string> successors(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = Refresh(login.refresh_token);
      if (!r) {
        failures.fetch_add(1);
        return;
      }
      successors[i] = r->refresh_token;
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(std::set<std::string>(successors.begin(), successors.end()).size(), 1u);
  EXPECT_EQ(Stored(login.record.id).refresh_generation, 1);
  EXPECT_EQ(f.counters.refreshes_ok.load(), 1u);
  EXPECT_EQ(f.counters.refreshes_race.load(), kThreads - 1u);
}

TEST_F(RefreshServiceTest, RefreshTokensCanBeTurnedOff) {
  RevocationSet revocations(Seconds(600));
  SessionService no_refresh(f.store, f.store, f.audit, f.clock, Policy(), f.background, f.counters,
                            JwtSessions{&f.secrets, &revocations, false});
  auto login = no_refresh.Create(user, store::SessionMode::kJwt, store::Transport::kHeader, false,
                                 "192.0.2.1", "test");
  ASSERT_THAT(login, IsOk());
  EXPECT_TRUE(login->refresh_token.empty());
  EXPECT_TRUE(Stored(login->record.id).refresh_hash.empty());
  // Even a correctly derived token finds no family to rotate.
  EXPECT_THAT(Refresh(f.secrets.RefreshToken(login->record.id, 0)),
              HasError(ErrorCode::kInvalidToken));
}

}  // namespace
}  // namespace sesame::auth
