#include "app/node.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "result_matchers.h"
#include "store/sqlite/sqlite_store.h"
#include "temp_dir.h"

namespace sesame::app {
namespace {

using ::sesame::testing::IsOk;

// An account as a release before skeletons stored it: no skeleton.
store::User OldAccount(const std::string& id, const std::string& name, int64_t created) {
  store::User user;
  user.id = id;
  user.username = name;
  user.username_key = name;
  user.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  user.created_at = FromUnixSeconds(1'800'000'000 + created);
  user.updated_at = user.created_at;
  return user;
}

// The wiring of the back-fill (auth/skeleton_backfill.h): every Open runs it on the configured
// store before any service can create an account, and keeps what it found for the server's log.
TEST(Node, OpenGivesOldAccountsTheirSkeletonAndReportsLookalikes) {
  testing::TempDir dir("sesame-node");
  {
    auto sqlite = store::SqliteStore::Open(dir.path() + "/sesame.db", store::SqliteOptions{});
    ASSERT_THAT(sqlite, IsOk());
    ASSERT_THAT((*sqlite)->CreateUser(OldAccount("u_admin", "admin", 0)), IsOk());
    ASSERT_THAT((*sqlite)->CreateUser(OldAccount("u_lookalike",
                                                 "\xd0\xb0"
                                                 "dmin",
                                                 10)),
                IsOk());
  }
  config::Config config;
  config.server.data_dir = dir.path();
  auto node = Node::Open(config, NodeOptions{false, nullptr, nullptr});
  ASSERT_THAT(node, IsOk());
  const auth::SkeletonBackfillReport& report = (*node)->skeleton_backfill();
  EXPECT_EQ(report.filled, 1u);
  ASSERT_EQ(report.collisions.size(), 1u);
  EXPECT_EQ(report.collisions[0].account.id, "u_lookalike");
  EXPECT_EQ(report.collisions[0].holder.id, "u_admin");

  auto admin = (*node)->users().FindUserById("u_admin");
  ASSERT_THAT(admin, IsOk());
  EXPECT_FALSE((*admin)->username_skeleton.empty());
  auto lookalike = (*node)->users().FindUserById("u_lookalike");
  ASSERT_THAT(lookalike, IsOk());
  ASSERT_TRUE(lookalike->has_value());
  EXPECT_TRUE((*lookalike)->username_skeleton.empty());
  EXPECT_EQ((*node)->users().CountUsers().value(), 2u);
}

}  // namespace
}  // namespace sesame::app
