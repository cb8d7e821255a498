#include "auth/login_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth_fixture.h"
#include "result_matchers.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::AuthFixture;
using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

TEST(LoginService, SucceedsWithTheRightPasswordAndAnyCaseOfTheName) {
  AuthFixture f;
  f.AddUser("Alice", "password-1", {"admin"});
  auto r = f.Login("ALICE", "password-1");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->user.username, "Alice");
  EXPECT_EQ(r->session.record.user_id, r->user.id);
  EXPECT_FALSE(r->session.session_secret.empty());
  EXPECT_EQ(f.counters.logins_succeeded.load(), 1u);
}

TEST(LoginService, EveryFailureLooksTheSame) {
  AuthFixture f;
  store::User bob = f.AddUser("bob", "password-1");
  f.AddUser("carol", "password-1");
  ASSERT_THAT(f.accounts.SetDisabled(bob.id, true, {}), IsOk());
  auto unknown = f.Login("nobody", "password-1", "192.0.2.1");
  auto wrong = f.Login("carol", "password-2", "192.0.2.1");
  auto disabled = f.Login("bob", "password-1", "192.0.2.1");
  ASSERT_THAT(unknown, HasError(ErrorCode::kInvalidCredentials));
  ASSERT_THAT(wrong, HasError(ErrorCode::kInvalidCredentials));
  ASSERT_THAT(disabled, HasError(ErrorCode::kInvalidCredentials));
  EXPECT_EQ(unknown.error(), wrong.error());
  EXPECT_EQ(unknown.error(), disabled.error());
}

TEST(LoginService, EachLoginIsANewSession) {
  AuthFixture f;
  f.AddUser("alice", "password-1");
  auto a = f.Login("alice", "password-1");
  auto b = f.Login("alice", "password-1");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(a->session.record.id, b->session.record.id);
  EXPECT_NE(a->session.session_secret, b->session.session_secret);
  EXPECT_NE(a->session.record.csrf_token, b->session.record.csrf_token);
}

TEST(LoginService, RepeatedFailuresAreRateLimitedWithRetryAfter) {
  AuthFixture f({}, RateLimit{4, Seconds(600)});
  f.AddUser("alice", "password-1");
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(f.Login("alice", "wrong-pass"), HasError(ErrorCode::kInvalidCredentials));
  }
  auto limited = f.Login("alice", "password-1");  // even the right password must wait
  ASSERT_THAT(limited, HasError(ErrorCode::kRateLimited));
  EXPECT_GE(limited.error().retry_after_seconds, 1);
  f.clock.Advance(Seconds(1));
  ASSERT_THAT(f.Login("alice", "wrong-pass"), HasError(ErrorCode::kInvalidCredentials));
  f.clock.Advance(Seconds(5));
  auto blocked = f.Login("alice", "password-1");
  ASSERT_THAT(blocked, HasError(ErrorCode::kRateLimited));
  EXPECT_EQ(blocked.error().retry_after_seconds, 594);
  // The owner on another network is not locked out.
  EXPECT_THAT(f.Login("alice", "password-1", "203.0.113.5"), IsOk());
}

TEST(LoginService, RehashesWhenTheParametersChanged) {
  AuthFixture f;
  store::User alice = f.AddUser("alice", "password-1");
  auto stronger = crypto::PasswordHasher::Create(crypto::Argon2Params{2, 128 * 1024});
  ASSERT_THAT(stronger, IsOk());
  LoginService login(f.store, f.sessions, f.limiter, f.audit, *stronger, f.clock, f.counters,
                     *stronger->Hash("dummy-password"), nullptr, KnownDevices{});
  LoginRequest request;
  request.username = "alice";
  request.password = "password-1";
  request.ip = "192.0.2.1";
  ASSERT_THAT(login.Login(request), IsOk());
  auto stored = f.store.FindUserById(alice.id);
  EXPECT_NE((*stored)->password_hash, alice.password_hash);
  EXPECT_FALSE(stronger->NeedsRehash((*stored)->password_hash));
  EXPECT_THAT(login.Login(request), IsOk());  // the new hash verifies
}

TEST(LoginService, DeviceLimitEvictsTheOldest) {
  SessionPolicy policy;
  policy.device_limit = {2, store::OnLimit::kEvictOldest};
  AuthFixture f(policy);
  f.AddUser("alice", "password-1");
  auto first = f.Login("alice", "password-1");
  f.clock.Advance(Seconds(1));
  auto second = f.Login("alice", "password-1");
  f.clock.Advance(Seconds(1));
  auto third = f.Login("alice", "password-1");
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->session.evicted_session_ids, std::vector<std::string>{first->session.record.id});
  EXPECT_THAT(f.sessions.Load(first->session.session_secret), HasError(ErrorCode::kSessionRevoked));
  EXPECT_THAT(f.sessions.Load(second->session.session_secret), IsOk());
}

TEST(LoginService, DeviceLimitCanRefuse) {
  SessionPolicy policy;
  policy.device_limit = {1, store::OnLimit::kRefuse};
  AuthFixture f(policy);
  f.AddUser("alice", "password-1");
  auto first = f.Login("alice", "password-1");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(f.Login("alice", "password-1"), HasError(ErrorCode::kForbidden));
  EXPECT_THAT(f.sessions.Load(first->session.session_secret), IsOk());
}

TEST(LoginService, StoreDownIsUnavailableAndWritesNothing) {
  AuthFixture f;
  f.AddUser("alice", "password-1");
  f.store.SetUnavailable(true);
  EXPECT_THAT(f.Login("alice", "password-1"), HasError(ErrorCode::kUnavailable));
  f.store.SetUnavailable(false);
  auto sessions = f.store.CountLiveSessions(f.clock.Now());
  EXPECT_EQ(*sessions, 0u);
}

TEST(LoginService, BadShapesAreInvalidRequest) {
  AuthFixture f;
  EXPECT_THAT(f.Login("", "password-1"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(f.Login("alice", "short"), HasError(ErrorCode::kInvalidRequest));
}

TEST(LoginService, TheAccountWideLimitStopsGuessesFromManyNetworksButNotAKnownDevice) {
  AuthFixture f({}, {10, Seconds(900)}, {1000, Seconds(60)}, {5, Seconds(900)});
  f.AddUser("alice", "password-1");
  auto owner = f.Login("alice", "password-1", "192.0.2.10");
  ASSERT_THAT(owner, IsOk());
  ASSERT_FALSE(owner->device_token.empty());
  for (int net = 1; net <= 5; ++net) {  // one guess from each of five networks
    EXPECT_THAT(f.Login("alice", "wrong-guess-" + std::to_string(net),
                        "198.51." + std::to_string(net) + ".1"),
                HasError(ErrorCode::kInvalidCredentials));
  }
  // A sixth network is refused before any password check, even with the right password...
  EXPECT_THAT(f.Login("alice", "password-1", "203.0.113.1"), HasError(ErrorCode::kRateLimited));
  EXPECT_THAT(f.Login("alice", "password-1", "192.0.2.10"), HasError(ErrorCode::kRateLimited));
  // ...while the owner's known device still gets in, from anywhere.
  EXPECT_THAT(f.Login("alice", "password-1", "203.0.113.9", owner->device_token), IsOk());
  // A device token of another user exempts nothing.
  f.AddUser("bob", "password-2");
  auto bob = f.Login("bob", "password-2", "192.0.2.20");
  ASSERT_THAT(bob, IsOk());
  EXPECT_THAT(f.Login("alice", "password-1", "203.0.113.9", bob->device_token),
              HasError(ErrorCode::kRateLimited));
}

TEST(LoginService, SignOutEverywhereAndAPasswordChangeForgetTheKnownDevices) {
  AuthFixture f({}, {10, Seconds(900)}, {1000, Seconds(60)}, {1, Seconds(900)});
  const store::User alice = f.AddUser("alice", "password-1");
  auto owner = f.Login("alice", "password-1");
  ASSERT_THAT(owner, IsOk());
  EXPECT_THAT(f.Login("alice", "wrong-guess", "198.51.100.1"),
              HasError(ErrorCode::kInvalidCredentials));
  ASSERT_THAT(f.Login("alice", "password-1", "192.0.2.10", owner->device_token), IsOk());
  ASSERT_THAT(f.sessions.RevokeAll(alice.id, "logout_all", {}), IsOk());
  EXPECT_THAT(f.Login("alice", "password-1", "192.0.2.10", owner->device_token),
              HasError(ErrorCode::kRateLimited));

  AuthFixture g({}, {10, Seconds(900)}, {1000, Seconds(60)}, {1, Seconds(900)});
  const store::User bob = g.AddUser("bob", "password-2");
  auto device = g.Login("bob", "password-2");
  ASSERT_THAT(device, IsOk());
  ASSERT_THAT(g.login->ChangePassword(
                  {bob.id, device->session.record.id, "password-2", "password-3", "192.0.2.10"}),
              IsOk());
  EXPECT_THAT(g.Login("bob", "wrong-guess", "198.51.100.1"),
              HasError(ErrorCode::kInvalidCredentials));
  EXPECT_THAT(g.Login("bob", "password-3", "192.0.2.10", device->device_token),
              HasError(ErrorCode::kRateLimited));
}

}  // namespace
}  // namespace sesame::auth
