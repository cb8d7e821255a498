#include "crypto/password_hasher.h"

#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::crypto {
namespace {

using sesame::testing::HasError;

// Cheap parameters keep the suite fast; the defaults are checked separately below.
Argon2Params Cheap() {
  return Argon2Params{1, 8 * 1024 * 1024};
}

TEST(PasswordHasher, DefaultsAreOwaspMinimum) {
  const Argon2Params params;
  EXPECT_EQ(params.ops_limit, 2u);
  EXPECT_EQ(params.mem_limit_bytes, 19u * 1024 * 1024);
  auto hasher = PasswordHasher::Create(params);
  ASSERT_TRUE(hasher);
  auto hash = hasher->Hash("correct horse battery staple");
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *hash;
}

TEST(PasswordHasher, VerifiesOnlyTheRightPassword) {
  auto hasher = PasswordHasher::Create(Cheap());
  auto hash = hasher->Hash("s3cret-passphrase");
  ASSERT_TRUE(hash);
  EXPECT_EQ(hasher->Verify(*hash, "s3cret-passphrase"), true);
  EXPECT_EQ(hasher->Verify(*hash, "s3cret-passphrasE"), false);
  EXPECT_EQ(hasher->Verify(*hash, ""), false);
}

TEST(PasswordHasher, SaltsEveryHash) {
  auto hasher = PasswordHasher::Create(Cheap());
  EXPECT_NE(hasher->Hash("same").value(), hasher->Hash("same").value());
}

TEST(PasswordHasher, CorruptHashIsAnErrorNotAWrongPassword) {
  auto hasher = PasswordHasher::Create(Cheap());
  EXPECT_THAT(hasher->Verify("plaintext", "plaintext"), HasError(ErrorCode::kInternal));
  EXPECT_THAT(hasher->Verify("$2b$10$bcryptbcryptbcryptbcrypt", "x"),
              HasError(ErrorCode::kInternal));
}

TEST(PasswordHasher, NeedsRehashWhenParametersChange) {
  auto old_hasher = PasswordHasher::Create(Cheap());
  auto new_hasher = PasswordHasher::Create(Argon2Params{2, 8 * 1024 * 1024});
  auto hash = old_hasher->Hash("pw-pw-pw-pw");
  EXPECT_FALSE(old_hasher->NeedsRehash(*hash));
  EXPECT_TRUE(new_hasher->NeedsRehash(*hash));
  // Old hashes keep verifying under new parameters: they carry their own.
  EXPECT_EQ(new_hasher->Verify(*hash, "pw-pw-pw-pw"), true);
  EXPECT_TRUE(new_hasher->NeedsRehash("not a hash"));
}

TEST(PasswordHasher, RefusesParametersBelowLibsodiumMinimum) {
  EXPECT_THAT(PasswordHasher::Create(Argon2Params{0, 8 * 1024 * 1024}),
              HasError(ErrorCode::kInvalidConfig));
  EXPECT_THAT(PasswordHasher::Create(Argon2Params{2, 1024}), HasError(ErrorCode::kInvalidConfig));
}

}  // namespace
}  // namespace sesame::crypto
