#include "jose/jwk.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64url.h"
#include "result_matchers.h"
#include "test_data.h"

namespace sesame::jose {
namespace {

using nlohmann::json;
using sesame::testing::HasError;
using sesame::testing::IsOk;
using sesame::testing::ReadTestData;

json Vector(const std::string& name) {
  return json::parse(ReadTestData("vectors/" + name));
}

json Patched(json base, const json& patch) {
  base.merge_patch(patch);
  return base;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Jwk, Rfc7638ThumbprintOfRsaKey) {
  const json v = Vector("rfc7638_thumbprint.json");
  json jwk = v["jwk"];
  jwk.erase("kid");  // so the default kid is the thumbprint
  auto key = Jwk::FromJson(jwk.dump());
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->Thumbprint(), v["thumbprint"]);
  EXPECT_EQ(key->kid(), v["thumbprint"]);
}

TEST(Jwk, Rfc8037ThumbprintOfEd25519KeyPrivateAndPublic) {
  const json v = Vector("rfc8037_ed25519.json");
  auto priv = Jwk::FromJson(v["private_jwk"].dump());
  auto pub = Jwk::FromJson(v["public_jwk"].dump());
  ASSERT_THAT(priv, IsOk());
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(priv->Thumbprint(), v["thumbprint"]);
  EXPECT_EQ(pub->Thumbprint(), v["thumbprint"]);
  EXPECT_EQ(priv->algorithm(), Algorithm::kEdDSA);  // inferred from crv
}

TEST(Jwk, KeepsAGivenKid) {
  const json v = Vector("rfc7638_thumbprint.json");
  auto key = Jwk::FromJson(v["jwk"].dump());
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->kid(), v["jwk"]["kid"]);
}

class JwkPerAlgorithm : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwkPerAlgorithm, GeneratedKeyRoundTripsThroughJson) {
  auto key = Jwk::Generate(GetParam());
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->kid(), key->Thumbprint());
  const json exported = json::parse(key->ToJson(true));
  EXPECT_EQ(exported["alg"], AlgorithmName(GetParam()));
  EXPECT_EQ(exported["use"], "sig");
  auto reimported = Jwk::FromJson(exported.dump());
  ASSERT_THAT(reimported, IsOk());
  EXPECT_EQ(reimported->kid(), key->kid());
  EXPECT_EQ(reimported->algorithm(), GetParam());
  auto sig = reimported->Sign("input");
  ASSERT_THAT(sig, IsOk());
  EXPECT_TRUE(key->Verify("input", Bytes(*sig)));
}

TEST_P(JwkPerAlgorithm, PublicJsonHasNoPrivateMember) {
  auto key = Jwk::Generate(GetParam());
  ASSERT_THAT(key, IsOk());
  const json pub = json::parse(key->ToJson(false));
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    EXPECT_FALSE(pub.contains(member)) << member;
  }
  if (!key->is_symmetric()) {
    auto public_key = Jwk::FromJson(pub.dump());
    ASSERT_THAT(public_key, IsOk());
    EXPECT_FALSE(public_key->has_private());
    EXPECT_EQ(public_key->kid(), key->kid());
    EXPECT_THAT(public_key->Sign("x"), HasError(ErrorCode::kInvalidKey));
  }
}

INSTANTIATE_TEST_SUITE_P(All, JwkPerAlgorithm, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& param_info) {
                           return std::string(AlgorithmName(param_info.param));
                         });

TEST(Jwk, HmacSecretLengthIsAtLeastTheHashOutput) {
  EXPECT_THAT(Jwk::FromHmacSecret(Algorithm::kHS256, SecretBytes(std::string(31, 'k'))),
              HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(Jwk::FromHmacSecret(Algorithm::kHS512, SecretBytes(std::string(63, 'k'))),
              HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(Jwk::FromHmacSecret(Algorithm::kHS256, SecretBytes(std::string(32, 'k'))), IsOk());
  // Through JSON: "k" of 31 bytes.
  EXPECT_THAT(Jwk::FromJson(R"({"kty":"oct","alg":"HS256","k":")" +
                            Base64UrlEncode(std::string(31, 'k')) + R"("})"),
              HasError(ErrorCode::kInvalidKey));
}

TEST(Jwk, RefusesKeysThatDoNotFitTheirAlgorithm) {
  const json ec384 = json::parse(Jwk::Generate(Algorithm::kES384)->ToJson(false));
  const json rsa = json::parse(Jwk::Generate(Algorithm::kRS256)->ToJson(false));
  const json ed = json::parse(Jwk::Generate(Algorithm::kEdDSA)->ToJson(false));
  struct Case {
    const char* name;
    json jwk;
  };
  const std::string k32 = Base64UrlEncode(std::string(32, 'k'));
  Case cases[] = {
      {"ES256 alg on a P-384 key", Patched(ec384, {{"alg", "ES256"}})},
      {"RS256 alg on an EC key", Patched(ec384, {{"alg", "RS256"}})},
      {"HS256 alg on an RSA key", Patched(rsa, {{"alg", "HS256"}})},
      {"ES256 alg on an Ed25519 key", Patched(ed, {{"alg", "ES256"}})},
      {"EdDSA alg on an RSA key", Patched(rsa, {{"alg", "EdDSA"}})},
      {"alg none", Patched(rsa, {{"alg", "none"}})},
      {"RSA without alg", Patched(rsa, {{"alg", nullptr}})},
      {"oct without alg", json{{"kty", "oct"}, {"k", k32}}},
      {"use enc", Patched(rsa, {{"use", "enc"}})},
      {"unknown kty", json{{"kty", "XYZ"}, {"alg", "HS256"}, {"k", k32}}},
      {"no kty", json{{"alg", "HS256"}, {"k", k32}}},
      {"padded base64url", json{{"kty", "oct"}, {"alg", "HS256"}, {"k", k32 + "="}}},
      {"member not a string", Patched(rsa, {{"n", 5}})},
      {"unknown curve", Patched(ec384, {{"crv", "secp256k1"}, {"alg", nullptr}})},
      {"Ed448", Patched(ed, {{"crv", "Ed448"}})},
      {"short EC coordinate",
       Patched(ec384, {{"x", Base64UrlEncode(
                                 Base64UrlDecode(ec384["x"].get<std::string>())->substr(1))}})},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(Jwk::FromJson(c.jwk.dump()), HasError(ErrorCode::kInvalidKey)) << c.name;
  }
}

TEST(Jwk, RefusesDuplicateMembersAndNonObjects) {
  const std::string k = Base64UrlEncode(std::string(32, 'k'));
  EXPECT_THAT(Jwk::FromJson(R"({"kty":"oct","alg":"HS256","alg":"HS512","k":")" + k + "\"}"),
              HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(Jwk::FromJson("[]"), HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(Jwk::FromJson("not json"), HasError(ErrorCode::kInvalidKey));
}

TEST(Jwk, InfersEcAlgorithmFromCurve) {
  json jwk = json::parse(Jwk::Generate(Algorithm::kES512)->ToJson(false));
  jwk.erase("alg");
  auto key = Jwk::FromJson(jwk.dump());
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->algorithm(), Algorithm::kES512);
}

TEST(Jwk, HmacKeyHasNoPublicPart) {
  EXPECT_THAT(Jwk::Generate(Algorithm::kHS256)->PublicOnly(), HasError(ErrorCode::kInvalidKey));
}

}  // namespace
}  // namespace sesame::jose
