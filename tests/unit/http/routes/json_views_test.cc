#include "http/routes/json_views.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sesame::http {
namespace {

TEST(JsonViews, UserJsonHasTheContractsFieldsAndNoHash) {
  store::User user;
  user.id = "u_1";
  user.username = "alice";
  user.roles = {"admin"};
  user.password_hash = "$argon2id$secret";
  user.created_at = FromUnixSeconds(100);
  user.updated_at = FromUnixSeconds(200);
  const nlohmann::json json = UserJson(user);
  EXPECT_EQ(json["id"], "u_1");
  EXPECT_EQ(json["username"], "alice");
  EXPECT_EQ(json["roles"], nlohmann::json::array({"admin"}));
  EXPECT_EQ(json["disabled"], false);
  EXPECT_EQ(json["created_at"], 100);
  EXPECT_EQ(json["updated_at"], 200);
  EXPECT_EQ(Dump(json).find("argon2id"), std::string::npos);
}

TEST(JsonViews, SessionJsonMarksTheCurrentSessionAndExpiresAtTheEarlierLimit) {
  store::Session session;
  session.id = "s_1";
  session.mode = store::SessionMode::kJwt;
  session.transport = store::Transport::kHeader;
  session.idle_expires_at = FromUnixSeconds(500);
  session.absolute_expires_at = FromUnixSeconds(400);
  EXPECT_EQ(SessionExpiresAt(session), 400);
  nlohmann::json json = SessionJson(session, "s_1");
  EXPECT_EQ(json["current"], true);
  EXPECT_EQ(json["mode"], "jwt");
  EXPECT_EQ(json["transport"], "header");
  EXPECT_EQ(json["expires_at"], 400);
  EXPECT_EQ(json["absolute_expires_at"], 400);
  EXPECT_EQ(SessionJson(session, "s_2")["current"], false);
  session.idle_expires_at = FromUnixSeconds(300);
  EXPECT_EQ(SessionExpiresAt(session), 300);
}

TEST(JsonViews, DumpReplacesInvalidUtf8InsteadOfThrowing) {
  const std::string text = Dump({{"user_agent", std::string("ok\xff")}});
  EXPECT_EQ(text, "{\"user_agent\":\"ok\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace sesame::http
