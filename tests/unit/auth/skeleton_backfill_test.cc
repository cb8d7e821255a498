#include "auth/skeleton_backfill.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/username.h"
#include "auth/username_skeleton.h"
#include "result_matchers.h"
#include "store/memory/memory_store.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// An account as the store held it before skeletons: `key` is what the rules of its day made of
// the name (for the names below, the earlier NFC case fold), and there is no skeleton.
store::User OldAccount(const std::string& id, const std::string& name, const std::string& key,
                       int64_t created) {
  store::User user;
  user.id = id;
  user.username = name;
  user.username_key = key;
  user.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  user.created_at = FromUnixSeconds(1'800'000'000 + created);
  user.updated_at = user.created_at;
  return user;
}

class SkeletonBackfillTest : public ::testing::Test {
 protected:
  void Add(const store::User& user) { ASSERT_THAT(store_.CreateUser(user), IsOk()); }

  store::User Get(const std::string& id) { return store_.FindUserById(id).value().value(); }

  static std::string SkeletonOfName(const std::string& name) {
    return UsernameSkeleton(NormalizeUsername(name).value().key).value();
  }

  store::MemoryStore store_;
};

std::vector<std::string> Pairs(const SkeletonBackfillReport& report) {
  std::vector<std::string> pairs;
  for (const auto& collision : report.collisions) {
    pairs.push_back(collision.account.id + " looks like " + collision.holder.id);
  }
  return pairs;
}

TEST_F(SkeletonBackfillTest, GivesEveryOldAccountTheSkeletonANewOneWouldGet) {
  Add(OldAccount("u_1", "Alice", "alice", 0));
  Add(OldAccount("u_2", "Jos\xc3\xa9", "jos\xc3\xa9", 1));
  auto report = BackfillUsernameSkeletons(store_);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->filled, 2u);
  EXPECT_THAT(report->collisions, IsEmpty());
  EXPECT_THAT(report->outdated_keys, IsEmpty());
  EXPECT_EQ(Get("u_1").username_skeleton, SkeletonOfName("Alice"));
  EXPECT_EQ(Get("u_2").username_skeleton, SkeletonOfName("Jos\xc3\xa9"));
  // Done once: the next start has nothing to do.
  report = BackfillUsernameSkeletons(store_);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->filled, 0u);
}

// The audit's four names, had they been created before the fix: reported, and kept as they are.
TEST_F(SkeletonBackfillTest, LookalikesAreReportedAndNeverDeletedOrRenamed) {
  const std::vector<store::User> before = {
      OldAccount("u_admin", "admin", "admin", 0),
      OldAccount("u_cyrillic",
                 "\xd0\xb0"
                 "dmin",
                 "\xd0\xb0"
                 "dmin",
                 10),
      OldAccount("u_zwsp", "admin\xe2\x80\x8b", "admin\xe2\x80\x8b", 20),
      OldAccount("u_wide", "\xef\xbc\xa1\xef\xbc\xa4\xef\xbc\xad\xef\xbc\xa9\xef\xbc\xae",
                 "\xef\xbd\x81\xef\xbd\x84\xef\xbd\x8d\xef\xbd\x89\xef\xbd\x8e", 30),
      OldAccount("u_bidi", "ad\xe2\x80\xaemin", "ad\xe2\x80\xaemin", 40),
      OldAccount("u_bob", "bob", "bob", 50),
  };
  for (const auto& user : before) {
    Add(user);
  }
  auto report = BackfillUsernameSkeletons(store_);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->filled, 2u);  // admin and bob
  EXPECT_THAT(Pairs(*report),
              ElementsAre("u_cyrillic looks like u_admin", "u_zwsp looks like u_admin",
                          "u_wide looks like u_admin", "u_bidi looks like u_admin"));
  for (const auto& collision : report->collisions) {
    EXPECT_EQ(collision.holder.username, "admin");
  }
  std::vector<std::string> outdated;
  for (const auto& user : report->outdated_keys) {
    outdated.push_back(user.id);
  }
  EXPECT_THAT(outdated, UnorderedElementsAre("u_zwsp", "u_wide", "u_bidi"));

  EXPECT_EQ(store_.CountUsers().value(), before.size());
  for (const auto& user : before) {
    const store::User after = Get(user.id);
    EXPECT_EQ(after.username, user.username) << user.id;
    EXPECT_EQ(after.username_key, user.username_key) << user.id;
    EXPECT_EQ(after.updated_at, user.updated_at) << user.id;
    const bool keeps_none = user.id != "u_admin" && user.id != "u_bob";
    EXPECT_EQ(after.username_skeleton.empty(), keeps_none) << user.id;
  }
  // Every start says so again, until an operator resolves it; nothing else changes.
  report = BackfillUsernameSkeletons(store_);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->filled, 0u);
  EXPECT_EQ(report->collisions.size(), 4u);
}

TEST_F(SkeletonBackfillTest, TheOlderAccountKeepsTheSkeletonWhateverItsName) {
  Add(OldAccount("u_a", "admin", "admin", 5));
  Add(OldAccount("u_z",
                 "\xd0\xb0"
                 "dmin",
                 "\xd0\xb0"
                 "dmin",
                 0));
  auto report = BackfillUsernameSkeletons(store_);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(Pairs(*report), ElementsAre("u_a looks like u_z"));
  EXPECT_FALSE(Get("u_z").username_skeleton.empty());
  EXPECT_TRUE(Get("u_a").username_skeleton.empty());
}

TEST_F(SkeletonBackfillTest, AnAccountWithASkeletonKeepsItAndWinsOverOldOnes) {
  store::User created_since = OldAccount("u_new", "admin", "admin", 100);
  created_since.username_skeleton = SkeletonOfName("admin");
  Add(created_since);
  Add(OldAccount("u_old",
                 "\xd0\xb0"
                 "dmin",
                 "\xd0\xb0"
                 "dmin",
                 0));
  auto report = BackfillUsernameSkeletons(store_);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(Pairs(*report), ElementsAre("u_old looks like u_new"));
  EXPECT_EQ(Get("u_new").username_skeleton, SkeletonOfName("admin"));
}

TEST_F(SkeletonBackfillTest, WalksPastCollisionsAcrossManyPages) {
  // 700 pairs of x<n> and the same with CYRILLIC SMALL LETTER HA, each Latin name older.
  constexpr int kPairs = 700;
  for (int i = 0; i < kPairs; ++i) {
    const std::string n = std::to_string(i);
    Add(OldAccount("u_l" + n, "x" + n, "x" + n, 2 * i));
    Add(OldAccount("u_c" + n, "\xd1\x85" + n, "\xd1\x85" + n, 2 * i + 1));
  }
  auto report = BackfillUsernameSkeletons(store_);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->filled, static_cast<size_t>(kPairs));
  ASSERT_EQ(report->collisions.size(), static_cast<size_t>(kPairs));
  EXPECT_EQ(report->collisions.back().account.id, "u_c" + std::to_string(kPairs - 1));
  EXPECT_EQ(report->collisions.back().holder.id, "u_l" + std::to_string(kPairs - 1));
}

TEST_F(SkeletonBackfillTest, AStoreThatIsDownFailsTheBackfill) {
  Add(OldAccount("u_1", "alice", "alice", 0));
  store_.SetUnavailable(true);
  EXPECT_THAT(BackfillUsernameSkeletons(store_), HasError(ErrorCode::kUnavailable));
  store_.SetUnavailable(false);
  EXPECT_TRUE(Get("u_1").username_skeleton.empty());
}

}  // namespace
}  // namespace sesame::auth
