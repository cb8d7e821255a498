#include "sesame/verifier.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "jose/jwk.h"
#include "jose/jwt_verifier.h"
#include "temp_dir.h"
#include "verifier/jwks_fetch.h"

namespace sesame {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'800'000'000;

class PublicVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *jose::Jwk::Generate(jose::Algorithm::kES256);
    jwks_ = R"({"keys":[)" + key_.ToJson(false) + "]}";
  }
  std::string Token(const json& claims, const std::string& typ = "at+jwt") {
    return *jose::SignJwt(key_, claims.dump(), typ);
  }
  json Claims() {
    return {{"iss", "https://auth"}, {"sub", "usr_1"},    {"aud", {"api", "web"}},
            {"exp", kNow + 600},     {"iat", kNow},       {"jti", "j"},
            {"sid", "ses_9"},        {"roles", {"admin"}}};
  }

  jose::Jwk key_ = *jose::Jwk::Generate(jose::Algorithm::kHS256);
  std::string jwks_;
};

TEST_F(PublicVerifierTest, VerifiesAndExposesTheClaims) {
  std::string error;
  auto verifier = Verifier::FromJwks(jwks_, {.issuer = "https://auth", .audience = "api"}, &error);
  ASSERT_NE(verifier, nullptr) << error;
  const VerifyResult r = verifier->VerifyAt(Token(Claims()), kNow);
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.token.subject, "usr_1");
  EXPECT_EQ(r.token.session_id, "ses_9");
  EXPECT_EQ(r.token.issuer, "https://auth");
  EXPECT_EQ(r.token.token_id, "j");
  EXPECT_EQ(r.token.audience, (std::vector<std::string>{"api", "web"}));
  EXPECT_EQ(r.token.roles, std::vector<std::string>{"admin"});
  EXPECT_EQ(r.token.expires_at, kNow + 600);
  EXPECT_EQ(r.token.issued_at, kNow);
}

TEST_F(PublicVerifierTest, ReportsExpiredAndInvalidWithReasons) {
  auto verifier = Verifier::FromJwks(jwks_, {}, nullptr);
  ASSERT_NE(verifier, nullptr);
  const std::string token = Token(Claims());
  const VerifyResult expired = verifier->VerifyAt(token, kNow + 3600);
  EXPECT_EQ(expired.status, VerifyStatus::kTokenExpired);
  EXPECT_EQ(VerifyStatusName(expired.status), "token_expired");
  EXPECT_FALSE(expired.reason.empty());
  const VerifyResult wrong_typ = verifier->VerifyAt(Token(Claims(), "JWT"), kNow);
  EXPECT_EQ(wrong_typ.status, VerifyStatus::kInvalidToken);
  json no_exp = Claims();
  no_exp.erase("exp");
  EXPECT_EQ(verifier->VerifyAt(Token(no_exp), kNow).status, VerifyStatus::kInvalidToken);
  EXPECT_EQ(verifier->VerifyAt("garbage", kNow).status, VerifyStatus::kInvalidToken);
}

TEST_F(PublicVerifierTest, RefusesAJwksWithoutUsableKeys) {
  std::string error;
  EXPECT_EQ(Verifier::FromJwks(R"({"keys":[]})", {}, &error), nullptr);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(Verifier::FromJwks("nonsense", {}, &error), nullptr);
  EXPECT_EQ(Verifier::FromJwksFile("/nonexistent/jwks.json", {}, &error), nullptr);
  EXPECT_NE(error.find("/nonexistent/jwks.json"), std::string::npos);
}

TEST_F(PublicVerifierTest, AFileIsReadAgainForAnUnknownKidAtMostOncePerInterval) {
  testing::TempDir dir("sesame-verifier");
  const std::string path = dir.path() + "/jwks.json";
  ASSERT_TRUE(WriteFileAtomically(path, jwks_, 0644));
  std::string error;
  auto verifier = Verifier::FromJwksFile(path, {.refresh_interval = std::chrono::hours(1)}, &error);
  ASSERT_NE(verifier, nullptr) << error;

  // A rotation adds a key the verifier has not seen.
  const jose::Jwk old_key = key_;
  key_ = *jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(WriteFileAtomically(
      path, R"({"keys":[)" + old_key.ToJson(false) + "," + key_.ToJson(false) + "]}", 0644));
  EXPECT_TRUE(verifier->VerifyAt(Token(Claims()), kNow).ok());
  EXPECT_EQ(verifier->key_reloads(), 1u);

  // Another unknown kid within the interval: refused without reading again.
  key_ = *jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(WriteFileAtomically(path, R"({"keys":[)" + key_.ToJson(false) + "]}", 0644));
  EXPECT_EQ(verifier->VerifyAt(Token(Claims()), kNow).status, VerifyStatus::kInvalidToken);
  EXPECT_EQ(verifier->key_reloads(), 1u);
  // Known kids never cause a read.
  key_ = old_key;
  EXPECT_TRUE(verifier->VerifyAt(Token(Claims()), kNow).ok());
  EXPECT_EQ(verifier->key_reloads(), 1u);
}

TEST_F(PublicVerifierTest, AFailedReloadKeepsTheKeysItHas) {
  testing::TempDir dir("sesame-verifier");
  const std::string path = dir.path() + "/jwks.json";
  ASSERT_TRUE(WriteFileAtomically(path, jwks_, 0644));
  auto verifier =
      Verifier::FromJwksFile(path, {.refresh_interval = std::chrono::seconds(0)}, nullptr);
  ASSERT_NE(verifier, nullptr);
  const std::string token = Token(Claims());
  ASSERT_TRUE(WriteFileAtomically(path, "broken", 0644));
  const jose::Jwk known = key_;
  key_ = *jose::Jwk::Generate(jose::Algorithm::kES256);
  EXPECT_FALSE(verifier->VerifyAt(Token(Claims()), kNow).ok());
  EXPECT_EQ(verifier->key_reloads(), 1u);
  EXPECT_FALSE(verifier->last_reload_error().empty());
  EXPECT_TRUE(verifier->VerifyAt(token, kNow).ok());
}

TEST_F(PublicVerifierTest, FollowRevocationsRefusesBadOptionsAndAnUnreachableFeed) {
  auto verifier = Verifier::FromJwks(jwks_, {}, nullptr);
  ASSERT_NE(verifier, nullptr);
  const std::string url = "http://127.0.0.1:1/v1/revocations";  // nothing listens there
  struct Case {
    RevocationFeedOptions options;
    const char* why;
  };
  const Case kBad[] = {
      {{.url = "", .client_id = "svc", .client_secret = "k"}, "url"},
      {{.url = url, .client_id = "svc", .client_secret = ""}, "key"},
      {{.url = url, .client_id = "a:b", .client_secret = "k"}, ":"},
      {{.url = url, .client_id = "svc", .client_secret = "k", .wait = std::chrono::seconds(31)},
       "wait"},
      {{.url = url,
        .client_id = "svc",
        .client_secret = "k",
        .wait = std::chrono::seconds(25),
        .max_staleness = std::chrono::seconds(30)},
       "max_staleness"},  // not more than wait + fetch_timeout (5 s)
  };
  for (const Case& c : kBad) {
    std::string error;
    EXPECT_FALSE(verifier->FollowRevocations(c.options, &error)) << c.why;
    EXPECT_NE(error.find(c.why), std::string::npos) << error;
  }
  std::string error;
  EXPECT_FALSE(
      verifier->FollowRevocations({.url = url, .client_id = "svc", .client_secret = "k"}, &error));
  EXPECT_NE(error.find("revocation feed"), std::string::npos) << error;
  // Not following: tokens verify as before, and the status says so.
  EXPECT_FALSE(verifier->revocation_feed_status().following);
  EXPECT_TRUE(verifier->VerifyAt(Token(Claims()), kNow).ok());
  EXPECT_EQ(VerifyStatusName(VerifyStatus::kSessionRevoked), "session_revoked");
}

TEST(FetchUrl, RefusesWhatIsNotAnHttpUrlAndReportsNetworkFailures) {
  for (const char* bad :
       {"ftp://host/x", "http://", "http://user:pw@host/x", "http://host:0/", "http://host:99999/",
        "http://[::1/x", "host/jwks.json", "http://host/a b"}) {
    auto fetched = verifier::FetchUrl(bad, {});
    ASSERT_FALSE(fetched) << bad;
    EXPECT_EQ(fetched.error().code, ErrorCode::kInvalidRequest) << bad;
  }
  // Port 1 on loopback: nothing listens there.
  auto refused = verifier::FetchUrl("http://127.0.0.1:1/jwks.json", {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  // A cancelled canceller refuses at once, without a connection attempt.
  verifier::FetchCanceller canceller;
  canceller.Cancel();
  verifier::FetchOptions options;
  options.canceller = &canceller;
  auto cancelled = verifier::FetchUrl("http://127.0.0.1:1/jwks.json", options);
  ASSERT_FALSE(cancelled);
  EXPECT_NE(cancelled.error().detail.find("cancelled"), std::string::npos);
}

}  // namespace
}  // namespace sesame
