#include "auth/account_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth_fixture.h"
#include "result_matchers.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::AuthFixture;
using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

TEST(AccountService, UsernamesAreUniqueCaseInsensitively) {
  AuthFixture f;
  f.AddUser("Alice", "password-1");
  EXPECT_THAT(f.accounts.CreateUser("aLiCe", "password-1", {}, {}),
              HasError(ErrorCode::kUsernameTaken));
  EXPECT_THAT(f.accounts.CreateUser("bob", "password-1", {"Admin!"}, {}),
              HasError(ErrorCode::kInvalidRequest));
}

TEST(AccountService, DisablingRevokesEverySessionAndIsAudited) {
  AuthFixture f;
  store::User alice = f.AddUser("alice", "password-1");
  auto s = f.Login("alice", "password-1");
  ASSERT_THAT(f.sessions.Load(s->session.session_secret), IsOk());
  ASSERT_THAT(f.accounts.SetDisabled(alice.id, true, Actor{"u_admin", "192.0.2.9"}), IsOk());
  EXPECT_THAT(f.sessions.Load(s->session.session_secret), HasError(ErrorCode::kSessionRevoked));
  auto events = f.store.Recent(alice.id, 10);
  ASSERT_THAT(events, IsOk());
  bool disabled_event = false;
  for (const auto& e : *events) {
    disabled_event |= e.type == "user_disabled" && e.actor_id == "u_admin";
  }
  EXPECT_TRUE(disabled_event);
  EXPECT_THAT(f.accounts.SetDisabled("u_missing", true, {}), HasError(ErrorCode::kNotFound));
}

TEST(AccountService, RolesAndPasswordsChangeInPlace) {
  AuthFixture f;
  store::User alice = f.AddUser("alice", "password-1");
  ASSERT_THAT(f.accounts.SetRoles(alice.id, {"admin", "ops", "admin"}, {}), IsOk());
  EXPECT_EQ(f.accounts.FindById(alice.id).value()->roles,
            (std::vector<std::string>{"admin", "ops"}));
  EXPECT_THAT(f.accounts.SetRoles(alice.id, {"Bad Role"}, {}),
              HasError(ErrorCode::kInvalidRequest));
  ASSERT_THAT(f.accounts.SetPassword(alice.id, "password-2", {}), IsOk());
  EXPECT_THAT(f.Login("alice", "password-1"), HasError(ErrorCode::kInvalidCredentials));
  EXPECT_THAT(f.Login("alice", "password-2"), IsOk());
  EXPECT_THAT(f.accounts.SetPassword(alice.id, "short", {}), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(f.accounts.SetPassword("u_missing", "password-3", {}),
              HasError(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sesame::auth
