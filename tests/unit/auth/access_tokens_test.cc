#include "auth/access_tokens.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/key_ring.h"
#include "auth/session_secrets.h"
#include "result_matchers.h"
#include "temp_dir.h"
#include "test_clock.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;
using ::sesame::testing::TempDir;
using ::sesame::testing::TestClock;

constexpr Seconds kTtl{300};

class AccessTokensTest : public ::testing::Test {
 protected:
  AccessTokensTest()
      : secrets(*SessionSecrets::FromKey(SecretBytes(std::string(32, 'k')))),
        revocations(kTtl + Seconds(5)) {
    policy.issuer = "https://auth.example";
    policy.audience = "api";
    policy.ttl = kTtl;
    path = dir.path() + "/keys.json";
    publisher = std::move(*KeyPublisher::Open(path, jose::Algorithm::kES256, kTtl + Seconds(5),
                                              AccessClaimsPolicy(policy), clock));
    tokens = std::make_unique<AccessTokens>(*publisher, revocations, clock, policy);
    session.id = "s_session1";
    session.user_id = "u_1";
    session.mode = store::SessionMode::kJwt;
    session.created_at = clock.Now();
    session.absolute_expires_at = clock.Now() + Seconds(86400);
    user.id = "u_1";
    user.username = "alice";
    user.roles = {"ops", "dev"};
  }

  std::string Issue() {
    auto issued = tokens->Issue(session, user);
    EXPECT_THAT(issued, IsOk());
    return issued ? issued->token : std::string();
  }

  void Rotate(bool drop_retired) {
    auto ring = KeyRing::Load(path);
    ASSERT_THAT(ring, IsOk());
    ASSERT_THAT(ring->Rotate(jose::Algorithm::kES256, clock.Now(),
                             drop_retired ? Seconds(0) : kTtl + Seconds(5), true),
                IsOk());
    ASSERT_THAT(ring->Save(path), IsOk());
    if (drop_retired) {  // a second rotation makes the first key leave at once
      auto again = KeyRing::Load(path);
      ASSERT_THAT(again->Rotate(jose::Algorithm::kES256, clock.Now(), Seconds(0), true), IsOk());
      ASSERT_THAT(again->Save(path), IsOk());
    }
    clock.Advance(Seconds(61));  // past the publisher's minimum rebuild age
    ASSERT_THAT(publisher->Refresh(), IsOk());
  }

  TestClock clock;
  TempDir dir{"sesame-access"};
  std::string path;
  AccessTokenPolicy policy;
  SessionSecrets secrets;
  RevocationSet revocations;
  std::unique_ptr<KeyPublisher> publisher;
  std::unique_ptr<AccessTokens> tokens;
  store::Session session;
  store::User user;
};

TEST_F(AccessTokensTest, IssuesTokensThatAuthenticateAsTheirSession) {
  const std::string token = Issue();
  auto caller = tokens->Authenticate(token);
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ((*caller)->session_id, "s_session1");
  EXPECT_EQ((*caller)->user_id, "u_1");
  EXPECT_EQ((*caller)->username, "alice");
  EXPECT_THAT((*caller)->roles, ::testing::ElementsAre("ops", "dev"));
  EXPECT_EQ((*caller)->roles_joined, "ops,dev");
  EXPECT_EQ((*caller)->mode, store::SessionMode::kJwt);
  EXPECT_TRUE((*caller)->csrf_token.empty());  // derived where a cookie request needs it
  auto claims = tokens->Inspect(token);
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(*claims->exp - *claims->iat, kTtl.count());
  EXPECT_EQ(claims->iss, "https://auth.example");
}

TEST_F(AccessTokensTest, ATokenNeverOutlivesItsSession) {
  session.absolute_expires_at = clock.Now() + Seconds(10);
  auto issued = tokens->Issue(session, user);
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->expires_at, session.absolute_expires_at);
}

TEST_F(AccessTokensTest, TheCacheServesRepeatsButNeverSkipsExpiryOrRevocation) {
  const std::string token = Issue();
  auto first = tokens->Authenticate(token);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(tokens->cached(), 1u);
  auto again = tokens->Authenticate(token);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(first->get(), again->get());  // the cached verdict

  revocations.Publish(Revocation{Revocation::Kind::kSession, "s_session1", clock.Now()});
  EXPECT_THAT(tokens->Authenticate(token), HasError(ErrorCode::kSessionRevoked));
  EXPECT_THAT(tokens->Inspect(token), HasError(ErrorCode::kSessionRevoked));

  session.id = "s_session2";
  const std::string other = Issue();
  ASSERT_THAT(tokens->Authenticate(other), IsOk());
  clock.Advance(kTtl + Seconds(5));  // exp plus the leeway
  EXPECT_THAT(tokens->Authenticate(other), HasError(ErrorCode::kTokenExpired));
}

TEST_F(AccessTokensTest, AUserCutoffRevokesTokensIssuedBeforeIt) {
  const std::string before = Issue();
  clock.Advance(Seconds(1));
  revocations.Publish(Revocation{Revocation::Kind::kUser, "u_1", clock.Now()});
  const std::string after = Issue();
  EXPECT_THAT(tokens->Authenticate(before), HasError(ErrorCode::kSessionRevoked));
  EXPECT_THAT(tokens->Authenticate(after), IsOk());
}

TEST_F(AccessTokensTest, TamperedTokensAreInvalidAndNotCached) {
  const std::string token = Issue();
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_THAT(tokens->Authenticate(tampered), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(tokens->Authenticate(token.substr(0, token.size() - 1)),
              HasError(ErrorCode::kInvalidToken));
  EXPECT_EQ(tokens->cached(), 0u);
  // A cached token does not vouch for a different one with the same tail.
  ASSERT_THAT(tokens->Authenticate(token), IsOk());
  std::string same_tail = token;
  same_tail[3] = same_tail[3] == 'A' ? 'B' : 'A';
  EXPECT_THAT(tokens->Authenticate(same_tail), HasError(ErrorCode::kInvalidToken));
}

TEST_F(AccessTokensTest, AStaleTokenExpiresAndNamesItsSessionForTheRefreshPage) {
  const std::string token = Issue();
  ASSERT_THAT(tokens->Authenticate(token), IsOk());
  // The user's roles changed in the second the token was issued: stale at once, cache or not.
  revocations.Publish(Revocation{Revocation::Kind::kUserClaims, "u_1", clock.Now()});
  EXPECT_THAT(tokens->Authenticate(token), HasError(ErrorCode::kTokenExpired));
  auto session_id = tokens->ExpiredSessionId(token);
  ASSERT_THAT(session_id, IsOk());
  EXPECT_EQ(*session_id, "s_session1");
  // A token issued after that second is live again.
  clock.Advance(Seconds(1));
  EXPECT_THAT(tokens->Authenticate(Issue()), IsOk());
}

TEST_F(AccessTokensTest, AnExpiredAuthenticTokenStillNamesItsSessionForTheRefreshPage) {
  const std::string token = Issue();
  // Not expired yet (nor within the leeway): no.
  EXPECT_THAT(tokens->ExpiredSessionId(token), HasError(ErrorCode::kInvalidToken));
  clock.Advance(kTtl + Seconds(5));
  ASSERT_THAT(tokens->Authenticate(token), HasError(ErrorCode::kTokenExpired));
  auto session_id = tokens->ExpiredSessionId(token);
  ASSERT_THAT(session_id, IsOk());
  EXPECT_EQ(*session_id, "s_session1");
  // Expired is not a licence to forge: the signature still has to hold.
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_THAT(tokens->ExpiredSessionId(tampered), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(tokens->ExpiredSessionId("not.a.token"), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(tokens->ExpiredSessionId(""), HasError(ErrorCode::kInvalidToken));
}

TEST_F(AccessTokensTest, RotationKeepsOldTokensAndARemovedKeyStopsThemAtOnce) {
  const std::string token = Issue();
  ASSERT_THAT(tokens->Authenticate(token), IsOk());
  Rotate(/*drop_retired=*/false);
  EXPECT_THAT(tokens->Authenticate(token), IsOk());  // the retired key still verifies
  const std::string fresh = Issue();
  EXPECT_NE(fresh.substr(0, fresh.find('.')), token.substr(0, token.find('.')));  // other kid
  Rotate(/*drop_retired=*/true);
  // The key that signed `token` is gone: the cached verdict must not outlive it.
  EXPECT_THAT(tokens->Authenticate(token), HasError(ErrorCode::kInvalidToken));
}

TEST_F(AccessTokensTest, ASessionTokenOrRefreshTokenIsNoAccessToken) {
  EXPECT_THAT(tokens->Authenticate(secrets.RefreshToken("s_session1", 0)),
              HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(tokens->Authenticate("no-dots-at-all"), HasError(ErrorCode::kInvalidToken));
}

}  // namespace
}  // namespace sesame::auth
