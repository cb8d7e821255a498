#include "auth/account_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/username_skeleton.h"
#include "auth_fixture.h"
#include "result_matchers.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::AuthFixture;
using ::sesame::testing::HasError;
using ::sesame::testing::HasErrorMentioning;
using ::sesame::testing::IsOk;

TEST(AccountService, UsernamesAreUniqueCaseInsensitively) {
  AuthFixture f;
  f.AddUser("Alice", "password-1");
  EXPECT_THAT(f.accounts.CreateUser("aLiCe", "password-1", {}, {}),
              HasError(ErrorCode::kUsernameTaken));
  EXPECT_THAT(f.accounts.CreateUser("bob", "password-1", {"Admin!"}, {}),
              HasError(ErrorCode::kInvalidRequest));
}

// Finding 7 of the audit: each of these was accepted as a new account beside "admin".
TEST(AccountService, RefusesTheAuditsLookalikesOfAnExistingName) {
  AuthFixture f;
  const store::User admin = f.AddUser("admin", "password-1");
  EXPECT_THAT(f.accounts.CreateUser("admin\xe2\x80\x8b", "password-1", {}, {}),
              HasErrorMentioning(ErrorCode::kInvalidRequest, "default-ignorable"));
  EXPECT_THAT(f.accounts.CreateUser("ad\xe2\x80\xaemin", "password-1", {}, {}),
              HasErrorMentioning(ErrorCode::kInvalidRequest, "bidi"));
  // Full-width: NFKC makes it ADMIN, whose key is admin's.
  EXPECT_THAT(f.accounts.CreateUser("\xef\xbc\xa1\xef\xbc\xa4\xef\xbc\xad\xef\xbc\xa9\xef\xbc\xae",
                                    "password-1", {}, {}),
              HasError(ErrorCode::kUsernameTaken));
  // Cyrillic а: another key, admin's skeleton.
  EXPECT_THAT(f.accounts.CreateUser("\xd0\xb0"
                                    "dmin",
                                    "password-1", {}, {}),
              HasError(ErrorCode::kUsernameTaken));
  EXPECT_THAT(f.accounts.CreateUser("\xd0\x90"
                                    "DMIN",
                                    "password-1", {}, {}),
              HasError(ErrorCode::kUsernameTaken));
  EXPECT_EQ(f.accounts.Count().value(), 1u);
  EXPECT_EQ(admin.username_skeleton, UsernameSkeleton("admin").value());
  auto holder = f.store.FindUserBySkeleton(admin.username_skeleton);
  ASSERT_THAT(holder, IsOk());
  ASSERT_TRUE(holder->has_value());
  EXPECT_EQ((*holder)->id, admin.id);
}

TEST(AccountService, TheFirstOfTwoLookalikesWinsWhicheverScriptItIs) {
  AuthFixture f;
  f.AddUser("p\xd0\xb0ypal", "password-1");  // Cyrillic а first
  EXPECT_THAT(f.accounts.CreateUser("PayPal", "password-1", {}, {}),
              HasError(ErrorCode::kUsernameTaken));
  EXPECT_THAT(f.accounts.CreateUser("adm1n", "password-1", {}, {}), IsOk());
  EXPECT_THAT(f.accounts.CreateUser("admln", "password-1", {}, {}),
              HasError(ErrorCode::kUsernameTaken));
}

TEST(AccountService, OrdinaryNamesInManyScriptsAreAllCreated) {
  AuthFixture f;
  for (const char* name :
       {"Jos\xc3\xa9", "Jose", "\xc5\x81ukasz", "Lukasz", "\xe7\x94\xb0\xe4\xb8\xad",
        "\xd0\x9e\xd0\xbb\xd1\x8c\xd0\xb3\xd0\xb0", "Olga"}) {
    auto user = f.accounts.CreateUser(name, "password-1", {}, {});
    ASSERT_THAT(user, IsOk()) << name;
    EXPECT_EQ(user->username, name);
    EXPECT_FALSE(user->username_skeleton.empty());
  }
  EXPECT_EQ(f.accounts.Count().value(), 7u);
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
