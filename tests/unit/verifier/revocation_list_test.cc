#include "verifier/revocation_list.h"

#include <gtest/gtest.h>

namespace sesame::verifier {
namespace {

constexpr int64_t kT = 1'800'000'000;
constexpr int64_t kHorizon = 1860;

FeedAnswer Answer(bool snapshot, std::vector<FeedAnswer::Session> sessions,
                  std::vector<FeedAnswer::User> users = {}) {
  FeedAnswer answer;
  answer.cursor = 7;
  answer.snapshot = snapshot;
  answer.horizon = kHorizon;
  answer.sessions = std::move(sessions);
  answer.users = std::move(users);
  return answer;
}

TEST(ParseFeedAnswer, ReadsTheFeedsShape) {
  auto answer = ParseFeedAnswer(R"({"cursor":"42","snapshot":false,"horizon":1860,)"
                                R"("revoked_sessions":[{"sid":"s_1","sub":"u_1","at":1800000000}],)"
                                R"("revoked_users":[{"sub":"u_2","not_before":1800000001}]})");
  ASSERT_TRUE(answer) << answer.error().detail;
  EXPECT_EQ(answer->cursor, 42);
  EXPECT_FALSE(answer->snapshot);
  EXPECT_EQ(answer->horizon, 1860);
  ASSERT_EQ(answer->sessions.size(), 1u);
  EXPECT_EQ(answer->sessions[0].session_id, "s_1");
  EXPECT_EQ(answer->sessions[0].user_id, "u_1");
  EXPECT_EQ(answer->sessions[0].at, kT);
  ASSERT_EQ(answer->users.size(), 1u);
  EXPECT_EQ(answer->users[0].user_id, "u_2");
  EXPECT_EQ(answer->users[0].not_before, kT + 1);
  // Members it does not know are ignored (the feed may grow).
  EXPECT_TRUE(ParseFeedAnswer(R"({"cursor":"0","snapshot":true,"horizon":60,"extra":1,)"
                              R"("revoked_sessions":[],"revoked_users":[]})"));
}

TEST(ParseFeedAnswer, RefusesAnythingElse) {
  const char* kBad[] = {
      "",
      "[]",
      "not json",
      R"({"snapshot":true,"horizon":60,"revoked_sessions":[],"revoked_users":[]})",
      R"({"cursor":42,"snapshot":true,"horizon":60,"revoked_sessions":[],"revoked_users":[]})",
      R"({"cursor":"-1","snapshot":true,"horizon":60,"revoked_sessions":[],"revoked_users":[]})",
      R"({"cursor":"4x","snapshot":true,"horizon":60,"revoked_sessions":[],"revoked_users":[]})",
      R"({"cursor":"1","snapshot":"yes","horizon":60,"revoked_sessions":[],"revoked_users":[]})",
      R"({"cursor":"1","snapshot":true,"horizon":0,"revoked_sessions":[],"revoked_users":[]})",
      R"({"cursor":"1","snapshot":true,"horizon":60,"revoked_users":[]})",
      R"({"cursor":"1","snapshot":true,"horizon":60,"revoked_sessions":{},"revoked_users":[]})",
      R"({"cursor":"1","snapshot":true,"horizon":60,"revoked_sessions":[{"sid":"s","sub":"u"}],)"
      R"("revoked_users":[]})",
      R"({"cursor":"1","snapshot":true,"horizon":60,"revoked_sessions":[{"sid":"","sub":"u",)"
      R"("at":1}],"revoked_users":[]})",
      R"({"cursor":"1","snapshot":true,"horizon":60,"revoked_sessions":[],)"
      R"("revoked_users":[{"sub":"u","not_before":"1"}]})",
  };
  for (const char* bad : kBad) {
    auto answer = ParseFeedAnswer(bad);
    ASSERT_FALSE(answer) << bad;
    EXPECT_EQ(answer.error().code, ErrorCode::kInvalidRequest) << bad;
  }
}

TEST(RevocationList, NothingIsRevokedWhenEmpty) {
  RevocationList list;
  EXPECT_FALSE(list.IsRevoked("s_1", "u_1", kT));
  EXPECT_EQ(list.size(), 0u);
}

TEST(RevocationList, ARevokedSessionKillsEveryTokenOfIt) {
  RevocationList list;
  list.Apply(Answer(false, {{"s_1", "u_1", kT}}), kT);
  EXPECT_TRUE(list.IsRevoked("s_1", "u_1", kT - 100));
  EXPECT_TRUE(list.IsRevoked("s_1", "u_1", kT + 100));
  EXPECT_FALSE(list.IsRevoked("s_2", "u_1", kT));
  EXPECT_FALSE(list.IsRevoked("", "u_1", kT));  // a token without sid
  EXPECT_EQ(list.size(), 1u);
}

TEST(RevocationList, AUserCutoffKillsTokensIssuedBeforeIt) {
  RevocationList list;
  list.Apply(Answer(false, {}, {{"u_1", kT}}), kT);
  EXPECT_TRUE(list.IsRevoked("s_1", "u_1", kT - 1));
  EXPECT_FALSE(list.IsRevoked("s_9", "u_1", kT));  // issued within the cut-off's second: a login
  EXPECT_FALSE(list.IsRevoked("s_1", "u_2", kT - 1));
  // A later cut-off moves forward, never back.
  list.Apply(Answer(false, {}, {{"u_1", kT + 20}}), kT);
  list.Apply(Answer(false, {}, {{"u_1", kT + 10}}), kT);
  EXPECT_TRUE(list.IsRevoked("s_9", "u_1", kT + 19));
}

TEST(RevocationList, IncrementsAddAndASnapshotReplacesEverything) {
  RevocationList list;
  list.Apply(Answer(true, {{"s_1", "u_1", kT}}), kT);
  list.Apply(Answer(false, {{"s_2", "u_1", kT}}, {{"u_3", kT}}), kT);
  EXPECT_TRUE(list.IsRevoked("s_1", "u_1", kT));
  EXPECT_TRUE(list.IsRevoked("s_2", "u_1", kT));
  EXPECT_TRUE(list.IsRevoked("s_7", "u_3", kT - 1));
  EXPECT_EQ(list.size(), 3u);
  list.Apply(Answer(true, {{"s_3", "u_1", kT}}), kT);
  EXPECT_FALSE(list.IsRevoked("s_1", "u_1", kT));
  EXPECT_FALSE(list.IsRevoked("s_2", "u_1", kT));
  EXPECT_FALSE(list.IsRevoked("s_7", "u_3", kT - 1));
  EXPECT_TRUE(list.IsRevoked("s_3", "u_1", kT));
  EXPECT_EQ(list.size(), 1u);
  list.Apply(Answer(true, {}), kT);  // an empty snapshot empties the list
  EXPECT_EQ(list.size(), 0u);
  EXPECT_FALSE(list.IsRevoked("s_3", "u_1", kT));
}

TEST(RevocationList, EntriesLeaveAHorizonAfterTheyWereMade) {
  RevocationList list;
  list.Apply(Answer(false, {{"s_1", "u_1", kT}}, {{"u_2", kT + 30}}), kT);
  list.Prune(kT + kHorizon);
  EXPECT_TRUE(list.IsRevoked("s_1", "u_x", kT));
  EXPECT_EQ(list.size(), 2u);
  list.Prune(kT + kHorizon + 1);
  EXPECT_FALSE(list.IsRevoked("s_1", "u_x", kT));
  EXPECT_TRUE(list.IsRevoked("s_x", "u_2", kT));
  EXPECT_EQ(list.size(), 1u);
  list.Prune(kT + 30 + kHorizon + 1);
  EXPECT_EQ(list.size(), 0u);
}

TEST(RevocationList, WhatHasAlreadyExpiredIsNotTaken) {
  RevocationList list;
  const int64_t now = kT + kHorizon + 1;
  list.Apply(Answer(false, {{"s_old", "u_1", kT}, {"s_new", "u_1", now}}, {{"u_1", kT}}), now);
  EXPECT_FALSE(list.IsRevoked("s_old", "u_9", 0));
  EXPECT_TRUE(list.IsRevoked("s_new", "u_9", now));
  EXPECT_FALSE(list.IsRevoked("s_x", "u_1", kT - 1));
  EXPECT_EQ(list.size(), 1u);
}

}  // namespace
}  // namespace sesame::verifier
