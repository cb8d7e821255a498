#include "auth/key_ring.h"

#include <sys/stat.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/key_publisher.h"
#include "common/files.h"
#include "jose/jws.h"
#include "result_matchers.h"
#include "temp_dir.h"
#include "test_clock.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;
using ::sesame::testing::TempDir;
using ::sesame::testing::TestClock;

constexpr Seconds kLifetime{1860};  // 30 min access TTL + 60 s leeway

std::vector<std::string> Kids(const jose::KeySet& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys.keys()) {
    out.push_back(k.kid());
  }
  return out;
}

const RingKey& InState(const KeyRing& ring, KeyState state) {
  for (const RingKey& k : ring.keys()) {
    if (k.state == state) {
      return k;
    }
  }
  ADD_FAILURE() << "no key in state " << KeyStateName(state);
  return ring.keys().front();
}

TEST(KeyRing, StartsWithAnActiveAndAPublishedNextKey) {
  TestClock clock;
  auto ring = KeyRing::Create(jose::Algorithm::kES256, clock.Now());
  ASSERT_THAT(ring, IsOk());
  ASSERT_EQ(ring->keys().size(), 2u);
  const std::string active = InState(*ring, KeyState::kActive).jwk.kid();
  const std::string next = InState(*ring, KeyState::kNext).jwk.kid();
  EXPECT_NE(active, next);
  EXPECT_EQ(ring->active().kid(), active);
  auto keys = ring->VerificationKeys(clock.Now(), kLifetime);
  ASSERT_THAT(keys, IsOk());
  EXPECT_THAT(Kids(*keys), ::testing::UnorderedElementsAre(active, next));
  for (const auto& k : keys->keys()) {
    EXPECT_FALSE(k.has_private());
  }
}

TEST(KeyRing, RotationPromotesNextAndRetiresActiveUntilItsTokensExpire) {
  TestClock clock;
  auto ring = KeyRing::Create(jose::Algorithm::kES256, clock.Now());
  const std::string first = ring->active().kid();
  const std::string second = InState(*ring, KeyState::kNext).jwk.kid();
  // The next key must have been published for a JWKS cache lifetime before it signs.
  clock.Advance(Seconds(299));
  EXPECT_THAT(ring->Rotate(jose::Algorithm::kES256, clock.Now(), kLifetime, false),
              HasError(ErrorCode::kInvalidRequest));
  EXPECT_EQ(ring->active().kid(), first);
  clock.Advance(Seconds(1));
  ASSERT_THAT(ring->Rotate(jose::Algorithm::kES256, clock.Now(), kLifetime, false), IsOk());
  EXPECT_EQ(ring->active().kid(), second);
  const std::string third = InState(*ring, KeyState::kNext).jwk.kid();
  EXPECT_EQ(InState(*ring, KeyState::kRetired).jwk.kid(), first);
  // The retired key verifies until its last token has expired, then leaves.
  clock.Advance(kLifetime - Seconds(1));
  EXPECT_THAT(Kids(*ring->VerificationKeys(clock.Now(), kLifetime)),
              ::testing::UnorderedElementsAre(first, second, third));
  clock.Advance(Seconds(1));
  EXPECT_THAT(Kids(*ring->VerificationKeys(clock.Now(), kLifetime)),
              ::testing::UnorderedElementsAre(second, third));
  // A later rotation drops it from the ring for good.
  ASSERT_THAT(ring->Rotate(jose::Algorithm::kEdDSA, clock.Now(), kLifetime, false), IsOk());
  EXPECT_EQ(ring->keys().size(), 3u);  // second retired, third active, a new EdDSA next
  EXPECT_EQ(InState(*ring, KeyState::kNext).jwk.algorithm(), jose::Algorithm::kEdDSA);
}

TEST(KeyRing, ForcedRotationIsAllowedEarly) {
  TestClock clock;
  auto ring = KeyRing::Create(jose::Algorithm::kES256, clock.Now());
  EXPECT_THAT(ring->Rotate(jose::Algorithm::kES256, clock.Now(), kLifetime, true), IsOk());
}

TEST(KeyRing, SavesPrivateKeysWithMode0600AndLoadsThemBack) {
  TestClock clock;
  TempDir dir;
  const std::string path = dir.path() + "/keys.json";
  auto ring = KeyRing::LoadOrCreate(path, jose::Algorithm::kES256, clock.Now());
  ASSERT_THAT(ring, IsOk());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_THAT(ring->Rotate(jose::Algorithm::kES256, clock.Now(), kLifetime, true), IsOk());
  ASSERT_THAT(ring->Save(path), IsOk());
  auto loaded = KeyRing::Load(path);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_EQ(loaded->keys().size(), 3u);
  EXPECT_EQ(loaded->active().kid(), ring->active().kid());
  EXPECT_TRUE(loaded->active().has_private());
  EXPECT_EQ(InState(*loaded, KeyState::kRetired).retired_at, clock.Now());
  // LoadOrCreate on an existing file loads it.
  auto again = KeyRing::LoadOrCreate(path, jose::Algorithm::kRS256, clock.Now());
  EXPECT_EQ(again->active().kid(), ring->active().kid());
}

TEST(KeyRing, RefusesFilesThatAreNotAValidRing) {
  TempDir dir;
  const std::string path = dir.path() + "/keys.json";
  for (const char* text :
       {"not json", R"({"keys":[]})", R"({"sesame_key_ring":1,"keys":[]})",
        R"({"sesame_key_ring":1,"keys":[{"state":"active","created_at":1}]})",
        R"({"sesame_key_ring":1,"keys":[{"state":"bogus","created_at":1,"jwk":{}}]})"}) {
    ASSERT_THAT(WriteFileAtomically(path, text, 0600), IsOk());
    EXPECT_THAT(KeyRing::Load(path), HasError(ErrorCode::kInvalidKey)) << text;
  }
  EXPECT_THAT(KeyRing::Load(dir.path() + "/missing.json"), HasError(ErrorCode::kIoError));
}

TEST(KeyPublisher, PicksUpARotationOnDiskAndKeepsOldTokensVerifiable) {
  TestClock clock;
  TempDir dir;
  const std::string path = dir.path() + "/keys.json";
  auto publisher = KeyPublisher::Open(path, jose::Algorithm::kES256, kLifetime, {}, clock);
  ASSERT_THAT(publisher, IsOk());
  auto before = (*publisher)->current();
  auto token = jose::SignCompact(before->signer, R"({"sub":"u_1"})", "at+jwt");
  ASSERT_THAT(token, IsOk());
  EXPECT_THAT(before->jwks_json, ::testing::Not(::testing::HasSubstr("\"d\"")));

  // `sesame keys rotate` in another process.
  auto ring = KeyRing::Load(path);
  ASSERT_THAT(ring->Rotate(jose::Algorithm::kES256, clock.Now(), kLifetime, true), IsOk());
  ASSERT_THAT(ring->Save(path), IsOk());
  ASSERT_THAT((*publisher)->Refresh(), IsOk());
  auto after = (*publisher)->current();
  EXPECT_NE(after->signer.kid(), before->signer.kid());
  EXPECT_EQ(after->verification_keys->keys().size(), 3u);
  EXPECT_THAT(jose::VerifyCompact(*token, *after->verification_keys), IsOk());
  EXPECT_THAT(after->jwks_json, ::testing::HasSubstr(before->signer.kid()));

  // A file broken meanwhile keeps the last good snapshot.
  ASSERT_THAT(WriteFileAtomically(path, "garbage", 0600), IsOk());
  EXPECT_THAT((*publisher)->Refresh(), HasError(ErrorCode::kInvalidKey));
  EXPECT_EQ((*publisher)->current()->signer.kid(), after->signer.kid());
}

TEST(KeyPublisher, NeverPublishesSymmetricKeys) {
  TestClock clock;
  TempDir dir;
  auto publisher =
      KeyPublisher::Open(dir.path() + "/keys.json", jose::Algorithm::kHS256, kLifetime, {}, clock);
  ASSERT_THAT(publisher, IsOk());
  EXPECT_EQ((*publisher)->current()->jwks_json, R"({"keys":[]})");
  EXPECT_EQ((*publisher)->current()->verification_keys->keys().size(), 2u);
}

}  // namespace
}  // namespace sesame::auth
