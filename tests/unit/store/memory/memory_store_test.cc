#include "store/memory/memory_store.h"

#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::store {
namespace {

using sesame::testing::HasError;
using sesame::testing::IsOk;

constexpr ErrorCode kDown = ErrorCode::kUnavailable;

TimePoint At(int64_t offset_seconds) {
  return FromUnixSeconds(1'800'000'000 + offset_seconds);
}

AuditEvent MakeEvent(TimePoint at, const std::string& type, const std::string& user_id = "") {
  AuditEvent event;
  event.at = at;
  event.type = type;
  event.user_id = user_id;
  return event;
}

User MakeUser(const std::string& id, const std::string& username_key) {
  User user;
  user.id = id;
  user.username = username_key;
  user.username_key = username_key;
  user.password_hash = "hash";
  return user;
}

Session MakeSession(const std::string& id, const std::string& user_id) {
  Session session;
  session.id = id;
  session.user_id = user_id;
  session.secret_hash = "hash-" + id;
  session.created_at = At(0);
  session.last_seen_at = At(0);
  session.idle_expires_at = At(3600);
  session.absolute_expires_at = At(86400);
  return session;
}

// "Store down: 503, nothing lost": while unavailable every call fails and nothing changes.
TEST(MemoryStore, WhileUnavailableEveryCallFailsAndChangesNothing) {
  MemoryStore store;
  ASSERT_THAT(store.CreateUser(MakeUser("u_1", "alice")), IsOk());
  ASSERT_THAT(store.CreateSession(MakeSession("s_1", "u_1"), DeviceLimit{}, At(0)), IsOk());
  ASSERT_THAT(store.Hit("k", Seconds(60), At(0)), IsOk());
  ASSERT_THAT(store.Append(MakeEvent(At(0), "login_succeeded")), IsOk());

  store.SetUnavailable(true);
  EXPECT_THAT(store.CreateUser(MakeUser("u_2", "bob")), HasError(kDown));
  EXPECT_THAT(store.FindUserById("u_1"), HasError(kDown));
  EXPECT_THAT(store.FindUserByKey("alice"), HasError(kDown));
  EXPECT_THAT(store.ListUsers("", 10), HasError(kDown));
  EXPECT_THAT(store.CountUsers(), HasError(kDown));
  EXPECT_THAT(store.SetPasswordHash("u_1", "x", At(1)), HasError(kDown));
  EXPECT_THAT(store.ReplacePasswordHash("u_1", "hash", "x", At(1)), HasError(kDown));
  EXPECT_THAT(store.SetDisabled("u_1", true, At(1)), HasError(kDown));
  EXPECT_THAT(store.SetRoles("u_1", {"admin"}, At(1)), HasError(kDown));
  EXPECT_THAT(store.CreateSession(MakeSession("s_2", "u_1"), DeviceLimit{1}, At(1)),
              HasError(kDown));
  EXPECT_THAT(store.FindSessionById("s_1"), HasError(kDown));
  EXPECT_THAT(store.FindSessionBySecretHash("hash-s_1"), HasError(kDown));
  EXPECT_THAT(store.ListLiveSessions("u_1", At(1)), HasError(kDown));
  EXPECT_THAT(store.ListAllLiveSessions(At(1), 10), HasError(kDown));
  EXPECT_THAT(store.CountLiveSessions(At(1)), HasError(kDown));
  EXPECT_THAT(store.TouchSession("s_1", At(1), At(3601)), HasError(kDown));
  EXPECT_THAT(store.RevokeSession("s_1", "logout", At(1)), HasError(kDown));
  EXPECT_THAT(store.RevokeUserSessions("u_1", "logout_all", At(1)), HasError(kDown));
  EXPECT_THAT(store.RecordUserChanged("u_1", At(1)), HasError(kDown));
  EXPECT_THAT(store.ChangesSince(0, 10), HasError(kDown));
  EXPECT_THAT(store.LatestChangeSeq(), HasError(kDown));
  EXPECT_THAT(store.PurgeSessions(At(1'000'000)), HasError(kDown));
  EXPECT_THAT(store.GetCounter("k", At(1)), HasError(kDown));
  EXPECT_THAT(store.Hit("k", Seconds(60), At(1)), HasError(kDown));
  EXPECT_THAT(store.ClearCounter("k"), HasError(kDown));
  EXPECT_THAT(store.PurgeCounters(At(1'000'000)), HasError(kDown));
  EXPECT_THAT(store.Append(MakeEvent(At(1), "logout")), HasError(kDown));
  EXPECT_THAT(store.Recent("", 10), HasError(kDown));

  store.SetUnavailable(false);
  EXPECT_EQ(store.CountUsers().value(), 1u);
  const User user = store.FindUserById("u_1").value().value();
  EXPECT_EQ(user.password_hash, "hash");
  EXPECT_FALSE(user.is_disabled);
  EXPECT_TRUE(user.roles.empty());
  const Session session = store.FindSessionById("s_1").value().value();
  EXPECT_FALSE(session.IsRevoked());
  EXPECT_EQ(session.idle_expires_at, At(3600));
  EXPECT_EQ(store.FindSessionById("s_2").value(), std::nullopt);
  EXPECT_EQ(store.LatestChangeSeq().value(), 0);
  EXPECT_EQ(store.GetCounter("k", At(1)).value().count, 1);
  EXPECT_EQ(store.Recent("", 10).value().size(), 1u);
}

}  // namespace
}  // namespace sesame::store
