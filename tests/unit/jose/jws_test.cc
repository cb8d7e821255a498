#include "jose/jws.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/ec.h>

#include "jose_test_util.h"
#include "result_matchers.h"
#include "test_data.h"

namespace sesame::jose {
namespace {

using nlohmann::json;
using sesame::testing::HasError;
using sesame::testing::HasErrorMentioning;
using sesame::testing::IsOk;
using sesame::testing::ReadTestData;
using testing::Forge;
using testing::SigningInput;
using testing::WithSignature;

json Vector(const std::string& name) {
  return json::parse(ReadTestData("vectors/" + name));
}

// RFC 7515 files name the key "jwk"; RFC 8037's names its private key "private_jwk".
json KeyOf(const json& vector) {
  return vector.contains("jwk") ? vector["jwk"] : vector["private_jwk"];
}

// The RFC keys come without "alg" where the RFC leaves it out; sesame binds each key to one.
KeySet SetWith(json jwk, const std::string& alg) {
  jwk["alg"] = alg;
  auto key = Jwk::FromJson(jwk.dump());
  EXPECT_THAT(key, IsOk()) << alg;
  std::vector<Jwk> keys;
  keys.push_back(std::move(*key));
  return *KeySet::Create(std::move(keys));
}

std::string SignatureSegment(const std::string& jws) {
  return jws.substr(jws.rfind('.') + 1);
}
std::string SigningInputOf(const std::string& jws) {
  return jws.substr(0, jws.rfind('.'));
}

// --- Published vectors -------------------------------------------------------------------------

struct RfcCase {
  const char* file;
  const char* alg;
};

class Rfc7515AppendixA : public ::testing::TestWithParam<RfcCase> {};

TEST_P(Rfc7515AppendixA, VerifiesAndDecodesPayload) {
  const json v = Vector(GetParam().file);
  const KeySet keys = SetWith(KeyOf(v), GetParam().alg);
  auto verified = VerifyCompact(v["jws"].get<std::string>(), keys);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->payload, v["payload"]);
  EXPECT_EQ(AlgorithmName(verified->header.alg), GetParam().alg);
}

TEST_P(Rfc7515AppendixA, RejectsTheVectorWithAFlippedPayloadBit) {
  const json v = Vector(GetParam().file);
  const KeySet keys = SetWith(KeyOf(v), GetParam().alg);
  std::string payload = v["payload"];
  payload[0] ^= 0x01;
  const std::string jws = v["jws"];
  const std::string forged = Base64UrlEncode(v["protected_header"].get<std::string>()) + "." +
                             Base64UrlEncode(payload) + "." + SignatureSegment(jws);
  EXPECT_THAT(VerifyCompact(forged, keys), HasError(ErrorCode::kInvalidToken));
}

INSTANTIATE_TEST_SUITE_P(Vectors, Rfc7515AppendixA,
                         ::testing::Values(RfcCase{"rfc7515_a1_hs256.json", "HS256"},
                                           RfcCase{"rfc7515_a2_rs256.json", "RS256"},
                                           RfcCase{"rfc7515_a3_es256.json", "ES256"},
                                           RfcCase{"rfc7515_a4_es512.json", "ES512"},
                                           RfcCase{"rfc8037_ed25519.json", "EdDSA"}),
                         [](const auto& param_info) { return std::string(param_info.param.alg); });

// HMAC, RSA PKCS#1 v1.5 and Ed25519 signatures are deterministic, so signing the vector's input
// must reproduce its signature byte for byte (ECDSA ones are randomised: checked by verifying).
class DeterministicVector : public ::testing::TestWithParam<RfcCase> {};

TEST_P(DeterministicVector, ReproducesTheSignature) {
  const json v = Vector(GetParam().file);
  const KeySet keys = SetWith(KeyOf(v), GetParam().alg);
  const std::string jws = v["jws"];
  auto sig = keys.keys()[0].Sign(SigningInputOf(jws));
  ASSERT_THAT(sig, IsOk());
  EXPECT_EQ(Base64UrlEncode(*sig), SignatureSegment(jws));
}

INSTANTIATE_TEST_SUITE_P(Vectors, DeterministicVector,
                         ::testing::Values(RfcCase{"rfc7515_a1_hs256.json", "HS256"},
                                           RfcCase{"rfc7515_a2_rs256.json", "RS256"},
                                           RfcCase{"rfc8037_ed25519.json", "EdDSA"}),
                         [](const auto& param_info) { return std::string(param_info.param.alg); });

TEST(Rfc8037, SignatureVerifiesWithThePublicKeyAlone) {
  const json v = Vector("rfc8037_ed25519.json");
  const KeySet keys = SetWith(v["public_jwk"], "EdDSA");
  auto verified = VerifyCompact(v["jws"].get<std::string>(), keys);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->payload, "Example of Ed25519 signing");
}

TEST(Rfc7520, Section4SignatureExamplesVerify) {
  const json v = Vector("rfc7520.json");
  for (const json& c : v["cases"]) {
    const KeySet keys = SetWith(c["jwk"], c["alg"]);
    auto verified = VerifyCompact(c["jws"].get<std::string>(), keys);
    ASSERT_THAT(verified, IsOk()) << c["name"];
    EXPECT_EQ(verified->payload, v["payload"]) << c["name"];
    EXPECT_EQ(verified->header.kid, c["jwk"]["kid"]) << c["name"];
    if (c["alg"] == "RS256" || c["alg"] == "HS256") {
      const std::string jws = c["jws"];
      auto sig = keys.keys()[0].Sign(SigningInputOf(jws));
      ASSERT_THAT(sig, IsOk());
      EXPECT_EQ(Base64UrlEncode(*sig), SignatureSegment(jws)) << c["name"];
    }
  }
}

// --- Attacks -----------------------------------------------------------------------------------

class JwsAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    es256_ = *Jwk::Generate(Algorithm::kES256);
    rs256_ = *Jwk::Generate(Algorithm::kRS256);
    hs256_ = *Jwk::Generate(Algorithm::kHS256);
    std::vector<Jwk> keys;
    keys.push_back(*es256_.PublicOnly());
    keys.push_back(*rs256_.PublicOnly());
    keys.push_back(hs256_);
    keys_ = *KeySet::Create(std::move(keys));
  }

  std::string Header(const Jwk& key, const json& extra = json::object()) const {
    json h = {{"alg", AlgorithmName(key.algorithm())}, {"kid", key.kid()}};
    h.update(extra);
    return h.dump();
  }
  Result<VerifiedJws> Verify(const std::string& token) const { return VerifyCompact(token, keys_); }

  const std::string payload_ = R"({"sub":"user-1","exp":9999999999})";
  Jwk es256_ = *Jwk::FromHmacSecret(Algorithm::kHS256, SecretBytes(std::string(32, 'x')));
  Jwk rs256_ = es256_;
  Jwk hs256_ = es256_;
  KeySet keys_;
};

TEST_F(JwsAttack, BaselineTokensVerify) {
  for (const Jwk* key : {&es256_, &rs256_, &hs256_}) {
    EXPECT_THAT(Verify(Forge(Header(*key), payload_, *key)), IsOk());
  }
}

TEST_F(JwsAttack, AlgNoneInAnySpellingNeverVerifies) {
  for (const char* none : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = json{{"alg", none}, {"kid", es256_.kid()}}.dump();
    EXPECT_THAT(Verify(SigningInput(header, payload_) + "."),
                HasErrorMentioning(ErrorCode::kInvalidToken, "none"))
        << none;
    // Even carrying a signature that is valid for the kid's key.
    EXPECT_THAT(Verify(Forge(header, payload_, es256_)), HasError(ErrorCode::kInvalidToken))
        << none;
  }
}

TEST_F(JwsAttack, HmacSignedWithAPublicKeyAsSecretIsRefused) {
  // The classic confusion: the attacker uses the published public key as an HMAC secret and
  // names the asymmetric key's kid.
  for (const Jwk* victim : {&es256_, &rs256_}) {
    const std::string public_json = victim->ToJson(false);
    auto forger = Jwk::FromHmacSecret(Algorithm::kHS256, SecretBytes(public_json));
    ASSERT_THAT(forger, IsOk());
    const std::string header = json{{"alg", "HS256"}, {"kid", victim->kid()}}.dump();
    EXPECT_THAT(Verify(Forge(header, payload_, *forger)),
                HasErrorMentioning(ErrorCode::kInvalidToken, "not the key's algorithm"));
  }
}

TEST_F(JwsAttack, AlgMustBeTheKeysOwnEvenWithinAFamily) {
  const std::string header = json{{"alg", "ES384"}, {"kid", es256_.kid()}}.dump();
  EXPECT_THAT(Verify(Forge(header, payload_, es256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "not the key's algorithm"));
  const std::string ps = json{{"alg", "PS256"}, {"kid", rs256_.kid()}}.dump();
  EXPECT_THAT(Verify(Forge(ps, payload_, rs256_)), HasError(ErrorCode::kInvalidToken));
}

TEST_F(JwsAttack, DerEncodedEcdsaSignatureIsRefused) {
  const std::string header = Header(es256_);
  const std::string input = SigningInput(header, payload_);
  const std::string raw = *es256_.Sign(input);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + 32), 32, nullptr));
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig, &der);
  const std::string der_sig(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  EXPECT_THAT(Verify(WithSignature(header, payload_, raw)), IsOk());
  EXPECT_THAT(Verify(WithSignature(header, payload_, der_sig)), HasError(ErrorCode::kInvalidToken));
}

TEST_F(JwsAttack, ZeroEcdsaSignatureIsRefused) {
  EXPECT_THAT(Verify(WithSignature(Header(es256_), payload_, std::string(64, '\0'))),
              HasError(ErrorCode::kInvalidToken));
}

TEST_F(JwsAttack, WrongLengthSignaturesAreRefused) {
  for (const Jwk* key : {&es256_, &rs256_, &hs256_}) {
    const std::string header = Header(*key);
    const std::string sig = *key->Sign(SigningInput(header, payload_));
    EXPECT_THAT(Verify(WithSignature(header, payload_, sig.substr(0, sig.size() - 1))),
                HasError(ErrorCode::kInvalidToken));
    EXPECT_THAT(Verify(WithSignature(header, payload_, sig + '\0')),
                HasError(ErrorCode::kInvalidToken));
    EXPECT_THAT(Verify(WithSignature(header, payload_, "")), HasError(ErrorCode::kInvalidToken));
  }
}

TEST_F(JwsAttack, UnknownCritIsRefused) {
  const std::string header = Header(hs256_, {{"crit", {"exp"}}, {"exp", 1}});
  EXPECT_THAT(Verify(Forge(header, payload_, hs256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "does not understand"));
  EXPECT_THAT(Verify(Forge(Header(hs256_, {{"crit", json::array()}}), payload_, hs256_)),
              HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Verify(Forge(Header(hs256_, {{"crit", "b64"}}), payload_, hs256_)),
              HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Verify(Forge(Header(hs256_, {{"crit", {"b64"}}}), payload_, hs256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "has none"));
}

TEST_F(JwsAttack, B64OtherThanTrueIsRefused) {
  EXPECT_THAT(Verify(Forge(Header(hs256_, {{"b64", false}, {"crit", {"b64"}}}), payload_, hs256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "b64"));
  EXPECT_THAT(Verify(Forge(Header(hs256_, {{"b64", "true"}}), payload_, hs256_)),
              HasError(ErrorCode::kInvalidToken));
  // b64 true is the ordinary encoding and is understood.
  EXPECT_THAT(Verify(Forge(Header(hs256_, {{"b64", true}, {"crit", {"b64"}}}), payload_, hs256_)),
              IsOk());
}

TEST_F(JwsAttack, PaddedOrNonCanonicalBase64UrlIsRefused) {
  const std::string token = Forge(Header(hs256_), payload_, hs256_);
  const size_t dot = token.find('.');
  EXPECT_THAT(Verify(token.substr(0, dot) + "=" + token.substr(dot)),
              HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Verify(token + "="), HasError(ErrorCode::kInvalidToken));
  // HS256's 32-byte signature ends in a character with 2 spare bits: set one.
  std::string tweaked = token;
  const char last = tweaked.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  tweaked.back() = alphabet[alphabet.find(last) | 1];
  ASSERT_NE(tweaked, token);
  EXPECT_THAT(Verify(tweaked), HasErrorMentioning(ErrorCode::kInvalidToken, "base64url"));
  // Standard (non-URL) alphabet.
  std::string standard = token;
  for (char& c : standard) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  if (standard != token) {
    EXPECT_THAT(Verify(standard), HasError(ErrorCode::kInvalidToken));
  }
}

TEST_F(JwsAttack, SegmentCountMustBeThree) {
  const std::string token = Forge(Header(hs256_), payload_, hs256_);
  EXPECT_THAT(Verify(token.substr(0, token.rfind('.'))),
              HasErrorMentioning(ErrorCode::kInvalidToken, "2 segments"));
  EXPECT_THAT(Verify(token + ".x"), HasErrorMentioning(ErrorCode::kInvalidToken, "3 segments"));
  EXPECT_THAT(Verify(token + ".x.y"), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Verify("nodots"), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Verify(""), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Verify(".."), HasError(ErrorCode::kInvalidToken));
}

TEST_F(JwsAttack, OversizedTokenIsRefusedBeforeAnyWork) {
  const std::string big_payload = R"({"pad":")" + std::string(6000, 'a') + R"("})";
  const std::string ok = Forge(Header(hs256_), big_payload, hs256_);
  ASSERT_LT(ok.size(), kMaxTokenSize);
  EXPECT_THAT(Verify(ok), IsOk());
  const std::string huge_payload = R"({"pad":")" + std::string(6200, 'a') + R"("})";
  const std::string huge = Forge(Header(hs256_), huge_payload, hs256_);
  ASSERT_GT(huge.size(), kMaxTokenSize);
  EXPECT_THAT(Verify(huge), HasErrorMentioning(ErrorCode::kInvalidToken, "8 KiB"));
}

TEST_F(JwsAttack, DeeplyNestedHeaderIsRefused) {
  std::string deep;
  for (int i = 0; i < 100; ++i) {
    deep += "[";
  }
  for (int i = 0; i < 100; ++i) {
    deep += "]";
  }
  const std::string header = R"({"alg":"HS256","kid":")" + hs256_.kid() + R"(","x":)" + deep + "}";
  EXPECT_THAT(Verify(Forge(header, payload_, hs256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "not valid JSON"));
}

TEST_F(JwsAttack, DuplicateHeaderMembersAreRefused) {
  const std::string dup_alg = R"({"alg":"HS256","kid":")" + hs256_.kid() + R"(","alg":"HS256"})";
  EXPECT_THAT(Verify(Forge(dup_alg, payload_, hs256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "more than once"));
  const std::string nested = R"({"alg":"HS256","kid":")" + hs256_.kid() + R"(","x":{"a":1,"a":2}})";
  EXPECT_THAT(Verify(Forge(nested, payload_, hs256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "more than once"));
  // The same name spelled with an escape is the same name.
  const std::string escaped =
      R"({"alg":"HS256","kid":")" + hs256_.kid() + R"(","\u0061lg":"HS256"})";
  EXPECT_THAT(Verify(Forge(escaped, payload_, hs256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "more than once"));
}

TEST_F(JwsAttack, KidNotInTheSetIsRefused) {
  const std::string header = json{{"alg", "ES256"}, {"kid", "not-a-known-kid"}}.dump();
  EXPECT_THAT(Verify(Forge(header, payload_, es256_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "kid is not in the key set"));
}

TEST_F(JwsAttack, EmbeddedJwkHeaderIsNeverTrusted) {
  // RFC 8725 §3.10 / CVE-2018-0114: a token carrying its own key in "jwk" must not verify.
  const Jwk attacker = *Jwk::Generate(Algorithm::kES256);
  const json embedded = json::parse(attacker.ToJson(false));
  EXPECT_THAT(Verify(Forge(Header(attacker, {{"jwk", embedded}}), payload_, attacker)),
              HasError(ErrorCode::kInvalidToken));
  // Naming a trusted kid but signed by the embedded key: the trusted key decides.
  EXPECT_THAT(Verify(Forge(Header(es256_, {{"jwk", embedded}, {"jku", "https://evil.test/"}}),
                           payload_, attacker)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "does not verify"));
}

TEST_F(JwsAttack, MalformedHeadersAreRefused) {
  for (const std::string& header :
       {std::string("[]"), std::string(R"("HS256")"), std::string(R"({"alg":256})"),
        std::string(R"({"kid":"x"})"), std::string(R"({"alg":"HS256","kid":5})"),
        std::string("{\"alg\":\"HS256\",\"x\":\"\xff\"}"), std::string("{")}) {
    EXPECT_THAT(Verify(Forge(header, payload_, hs256_)), HasError(ErrorCode::kInvalidToken))
        << header;
  }
}

TEST_F(JwsAttack, TamperedSignatureIsRefused) {
  for (const Jwk* key : {&es256_, &rs256_, &hs256_}) {
    const std::string header = Header(*key);
    std::string sig = *key->Sign(SigningInput(header, payload_));
    sig[sig.size() / 2] ^= 0x10;
    EXPECT_THAT(Verify(WithSignature(header, payload_, sig)),
                HasErrorMentioning(ErrorCode::kInvalidToken, "does not verify"));
  }
}

TEST(Jws, TypMatchingFollowsRfc7515) {
  EXPECT_TRUE(TypMatches("at+jwt", "at+jwt"));
  EXPECT_TRUE(TypMatches("AT+JWT", "at+jwt"));
  EXPECT_TRUE(TypMatches("application/at+jwt", "at+jwt"));
  EXPECT_FALSE(TypMatches("JWT", "at+jwt"));
  EXPECT_FALSE(TypMatches("", "at+jwt"));
  EXPECT_FALSE(TypMatches("application/", "at+jwt"));
}

TEST(Jws, SignCompactWritesAlgTypAndKid) {
  const Jwk key = *Jwk::Generate(Algorithm::kEdDSA);
  auto token = SignCompact(key, "hello", "at+jwt");
  ASSERT_THAT(token, IsOk());
  const json header = json::parse(*Base64UrlDecode(token->substr(0, token->find('.'))));
  EXPECT_EQ(header, (json{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", key.kid()}}));
  std::vector<Jwk> keys;
  keys.push_back(*key.PublicOnly());
  auto verified = VerifyCompact(*token, *KeySet::Create(std::move(keys)));
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->payload, "hello");
  EXPECT_EQ(verified->header.typ, "at+jwt");
}

}  // namespace
}  // namespace sesame::jose
