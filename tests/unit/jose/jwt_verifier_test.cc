#include "jose/jwt_verifier.h"

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64url.h"
#include "jose_test_util.h"
#include "result_matchers.h"
#include "test_clock.h"

namespace sesame::jose {
namespace {

using nlohmann::json;
using sesame::testing::HasError;
using sesame::testing::HasErrorMentioning;
using sesame::testing::IsOk;
using sesame::testing::TestClock;

json With(json base, const json& changes) {
  base.update(changes);
  return base;
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signer_ = *Jwk::Generate(Algorithm::kES256);
    std::vector<Jwk> keys;
    keys.push_back(*signer_.PublicOnly());
    keys_ = std::make_shared<const KeySet>(*KeySet::Create(std::move(keys)));
    policy_.issuer = "https://auth.example.com";
    policy_.audience = "api";
    policy_.expected_typ = "at+jwt";
    policy_.required_claims = {"exp", "sub", "sid"};
  }

  json Claims(int64_t exp_offset = 1800) const {
    const int64_t now = clock_.unix_seconds();
    return {{"iss", "https://auth.example.com"},
            {"sub", "usr_1"},
            {"aud", "api"},
            {"exp", now + exp_offset},
            {"iat", now},
            {"nbf", now},
            {"jti", "j1"},
            {"sid", "ses_1"},
            {"roles", {"user"}}};
  }
  std::string Sign(const json& claims, const std::string& typ = "at+jwt") const {
    return *SignJwt(signer_, claims.dump(), typ);
  }
  Result<jose::Claims> Verify(const std::string& token, std::string* payload = nullptr) const {
    return JwtVerifier(keys_, policy_).Verify(token, clock_.Now(), payload);
  }

  TestClock clock_;
  Jwk signer_ = *Jwk::Generate(Algorithm::kHS256);
  std::shared_ptr<const KeySet> keys_;
  ClaimsPolicy policy_;
};

TEST_F(JwtVerifierTest, AcceptsAValidAccessToken) {
  std::string payload;
  auto claims = Verify(Sign(Claims()), &payload);
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->sub, "usr_1");
  EXPECT_EQ(claims->sid, "ses_1");
  EXPECT_EQ(claims->roles, std::vector<std::string>{"user"});
  EXPECT_EQ(json::parse(payload), Claims());
}

TEST_F(JwtVerifierTest, ExpiresAfterExpPlusLeeway) {
  const std::string token = Sign(Claims(/*exp_offset=*/10));
  EXPECT_THAT(Verify(token), IsOk());
  clock_.Advance(Seconds(69));
  EXPECT_THAT(Verify(token), IsOk());
  clock_.Advance(Seconds(1));
  EXPECT_THAT(Verify(token), HasError(ErrorCode::kTokenExpired));
}

TEST_F(JwtVerifierTest, SignatureIsCheckedBeforeClaims) {
  // An expired token with a broken signature is invalid_token, not token_expired: a forger
  // learns nothing from which claim would have failed.
  std::string token = Sign(Claims(/*exp_offset=*/-3600));
  EXPECT_THAT(Verify(token), HasError(ErrorCode::kTokenExpired));
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_THAT(Verify(token), HasError(ErrorCode::kInvalidToken));
}

TEST_F(JwtVerifierTest, TypMustBeTheExpectedOne) {
  EXPECT_THAT(Verify(Sign(Claims(), "JWT")), HasErrorMentioning(ErrorCode::kInvalidToken, "typ"));
  EXPECT_THAT(Verify(Sign(Claims(), "")), HasErrorMentioning(ErrorCode::kInvalidToken, "typ"));
  EXPECT_THAT(Verify(Sign(Claims(), "application/at+jwt")), IsOk());
}

TEST_F(JwtVerifierTest, IssuerAudienceAndRequiredClaimsAreEnforced) {
  EXPECT_THAT(Verify(Sign(With(Claims(), {{"iss", "https://other"}}))),
              HasErrorMentioning(ErrorCode::kInvalidToken, "iss"));
  EXPECT_THAT(Verify(Sign(With(Claims(), {{"aud", {"web"}}}))),
              HasErrorMentioning(ErrorCode::kInvalidToken, "aud"));
  json no_sid = Claims();
  no_sid.erase("sid");
  EXPECT_THAT(Verify(Sign(no_sid)), HasErrorMentioning(ErrorCode::kInvalidToken, "sid"));
}

TEST_F(JwtVerifierTest, NotYetValidIsInvalidToken) {
  EXPECT_THAT(Verify(Sign(With(Claims(), {{"nbf", clock_.unix_seconds() + 3600}}))),
              HasErrorMentioning(ErrorCode::kInvalidToken, "not valid before"));
}

TEST_F(JwtVerifierTest, PayloadMustBeJsonEvenWhenSigned) {
  const std::string header =
      json{{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", signer_.kid()}}.dump();
  EXPECT_THAT(Verify(testing::Forge(header, "not json", signer_)),
              HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Verify(testing::Forge(header, R"({"sub":"a","sub":"b"})", signer_)),
              HasErrorMentioning(ErrorCode::kInvalidToken, "more than once"));
}

TEST_F(JwtVerifierTest, VerifiesTokensOfEveryKeyInTheSet) {
  const Jwk next = *Jwk::Generate(Algorithm::kEdDSA);
  std::vector<Jwk> keys;
  keys.push_back(*signer_.PublicOnly());
  keys.push_back(*next.PublicOnly());
  keys_ = std::make_shared<const KeySet>(*KeySet::Create(std::move(keys)));
  EXPECT_THAT(Verify(Sign(Claims())), IsOk());
  EXPECT_THAT(Verify(*SignJwt(next, Claims().dump(), "at+jwt")), IsOk());
}

TEST(SignJwt, RefusesClaimsThatAreNotAStrictObject) {
  const Jwk key = *Jwk::Generate(Algorithm::kHS256);
  EXPECT_THAT(SignJwt(key, "[]"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(SignJwt(key, R"({"a":1,"a":2})"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(SignJwt(key, R"({"exp":"soon"})"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(SignJwt(key, R"({"sub":"x"})"), IsOk());
}

}  // namespace
}  // namespace sesame::jose

namespace sesame::jose {
namespace {

// Several keys, so several distinct headers: more than the per-thread header cache holds.
class JwtVerifierManyKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    const Algorithm algs[] = {Algorithm::kHS256, Algorithm::kES256, Algorithm::kRS256,
                              Algorithm::kEdDSA, Algorithm::kHS512, Algorithm::kPS256};
    std::vector<Jwk> public_keys;
    for (Algorithm alg : algs) {
      const Jwk key = *Jwk::Generate(alg);
      const std::string claims = R"({"sub":")" + key.kid() + R"(","exp":9999999999})";
      tokens_.push_back(*SignJwt(key, claims, "at+jwt"));
      public_keys.push_back(key.is_symmetric() ? key : *key.PublicOnly());
    }
    policy_.expected_typ = "at+jwt";
    verifier_ = std::make_unique<JwtVerifier>(
        std::make_shared<const KeySet>(*KeySet::Create(std::move(public_keys))), policy_);
  }

  // Each token names its own key's kid as sub, so a header mixed up with another token's
  // (wrong kid, wrong alg) cannot verify and a wrong claims view cannot match.
  void VerifyAll(int rounds) const {
    for (int round = 0; round < rounds; ++round) {
      for (const std::string& token : tokens_) {
        auto claims = verifier_->VerifyView(token, FromUnixSeconds(1'800'000'000));
        ASSERT_TRUE(claims) << claims.error().detail;
        const std::string expected_kid =
            json::parse(*Base64UrlDecode(token.substr(0, token.find('.'))))["kid"]
                .get<std::string>();
        ASSERT_EQ(claims->sub, expected_kid);
      }
    }
  }

  std::vector<std::string> tokens_;
  ClaimsPolicy policy_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtVerifierManyKeys, HeaderCacheNeverMixesUpTokens) {
  VerifyAll(3);
  // A malformed header in between must not poison the cache.
  EXPECT_FALSE(verifier_->VerifyView("e30." + tokens_[0].substr(tokens_[0].find('.') + 1),
                                     FromUnixSeconds(1'800'000'000)));
  VerifyAll(1);
}

TEST_F(JwtVerifierManyKeys, ConcurrentVerificationOnSharedVerifier) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] { VerifyAll(50); });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

}  // namespace
}  // namespace sesame::jose
