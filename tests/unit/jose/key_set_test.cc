#include "jose/key_set.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "result_matchers.h"

namespace sesame::jose {
namespace {

using nlohmann::json;
using sesame::testing::HasError;
using sesame::testing::IsOk;

TEST(KeySet, FindsKeysByKidAndTheOnlyKeyForAnAlgorithm) {
  auto a = Jwk::Generate(Algorithm::kES256);
  auto b = Jwk::Generate(Algorithm::kES256);
  auto c = Jwk::Generate(Algorithm::kEdDSA);
  const std::string jwks =
      R"({"keys":[)" + a->ToJson(false) + "," + b->ToJson(false) + "," + c->ToJson(false) + "]}";
  auto set = KeySet::FromJson(jwks);
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(set->keys().size(), 3u);
  ASSERT_NE(set->Find(b->kid()), nullptr);
  EXPECT_EQ(set->Find(b->kid())->kid(), b->kid());
  EXPECT_EQ(set->Find("unknown"), nullptr);
  EXPECT_EQ(set->FindOnly(Algorithm::kES256), nullptr);  // two candidates: ambiguous
  ASSERT_NE(set->FindOnly(Algorithm::kEdDSA), nullptr);
  EXPECT_EQ(set->FindOnly(Algorithm::kHS256), nullptr);
}

TEST(KeySet, AcceptsASingleJwk) {
  auto a = Jwk::Generate(Algorithm::kPS256);
  auto set = KeySet::FromJson(a->ToJson(true));
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(set->keys().size(), 1u);
  EXPECT_EQ(set->keys()[0].kid(), a->kid());
}

TEST(KeySet, SkipsEncryptionKeys) {
  auto a = Jwk::Generate(Algorithm::kES256);
  json enc = json::parse(a->ToJson(false));
  enc["use"] = "enc";
  enc["kid"] = "encryption-key";
  enc["alg"] = "ECDH-ES";
  const std::string jwks = R"({"keys":[)" + enc.dump() + "," + a->ToJson(false) + "]}";
  auto set = KeySet::FromJson(jwks);
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(set->keys().size(), 1u);
  EXPECT_EQ(set->Find("encryption-key"), nullptr);
}

TEST(KeySet, RefusesDuplicateKidsAndBadShapes) {
  auto a = Jwk::Generate(Algorithm::kES256);
  EXPECT_THAT(KeySet::FromJson(R"({"keys":[)" + a->ToJson(false) + "," + a->ToJson(false) + "]}"),
              HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(KeySet::FromJson(R"({"keys":{}})"), HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(KeySet::FromJson(R"({"keys":[{"kty":"RSA"}]})"), HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(KeySet::FromJson("[]"), HasError(ErrorCode::kInvalidKey));
}

TEST(KeySet, PublicOnlyDropsPrivateHalvesAndHmacKeys) {
  std::vector<Jwk> keys;
  keys.push_back(*Jwk::Generate(Algorithm::kES256));
  keys.push_back(*Jwk::Generate(Algorithm::kHS256));
  auto set = KeySet::Create(std::move(keys));
  ASSERT_THAT(set, IsOk());
  const KeySet pub = set->PublicOnly();
  ASSERT_EQ(pub.keys().size(), 1u);
  EXPECT_FALSE(pub.keys()[0].has_private());
  const json published = json::parse(pub.ToJson(false));
  EXPECT_FALSE(published["keys"][0].contains("d"));
  auto reparsed = KeySet::FromJson(pub.ToJson(false));
  ASSERT_THAT(reparsed, IsOk());
  EXPECT_EQ(reparsed->keys()[0].kid(), set->keys()[0].kid());
}

}  // namespace
}  // namespace sesame::jose
