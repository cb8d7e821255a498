#include "crypto/hmac_key.h"

#include <array>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "result_matchers.h"

namespace sesame::crypto {
namespace {

using sesame::testing::HasError;

const EVP_MD* OpenSslMd(HashAlg hash) {
  return hash == HashAlg::kSha256   ? EVP_sha256()
         : hash == HashAlg::kSha384 ? EVP_sha384()
                                    : EVP_sha512();
}

std::string Pattern(size_t size, int seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>((i * 131 + seed * 7 + 3) & 0xff);
  }
  return s;
}

// Cross-checks the cached-key-schedule HMAC against OpenSSL's one-shot HMAC() for keys shorter
// than, equal to and longer than the block (which RFC 2104 hashes first) and many message sizes.
TEST(HmacKey, MatchesOpenSslOneShotHmac) {
  for (HashAlg hash : {HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    for (size_t key_size : {DigestSize(hash), size_t{64}, size_t{128}, size_t{200}}) {
      const std::string secret = Pattern(key_size, 1);
      auto key = HmacKey::Create(hash, SecretBytes(secret));
      ASSERT_TRUE(key);
      for (size_t message_size : {0, 1, 55, 64, 300, 1000}) {
        const std::string message = Pattern(message_size, 2);
        std::array<uint8_t, 64> ours{};
        const size_t ours_size = key->Sign(message, ours);
        unsigned char theirs[EVP_MAX_MD_SIZE];
        unsigned int theirs_size = 0;
        HMAC(OpenSslMd(hash), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), theirs,
             &theirs_size);
        ASSERT_EQ(ours_size, theirs_size);
        EXPECT_EQ(std::string(reinterpret_cast<char*>(ours.data()), ours_size),
                  std::string(reinterpret_cast<char*>(theirs), theirs_size))
            << "key " << key_size << " message " << message_size;
      }
    }
  }
}

TEST(HmacKey, RefusesSecretShorterThanHashOutput) {
  EXPECT_THAT(HmacKey::Create(HashAlg::kSha256, SecretBytes(Pattern(31, 0))),
              HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(HmacKey::Create(HashAlg::kSha384, SecretBytes(Pattern(47, 0))),
              HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(HmacKey::Create(HashAlg::kSha512, SecretBytes(Pattern(63, 0))),
              HasError(ErrorCode::kInvalidKey));
  EXPECT_TRUE(HmacKey::Create(HashAlg::kSha256, SecretBytes(Pattern(32, 0))));
}

TEST(HmacKey, VerifyRejectsAnyChangeAndWrongLength) {
  auto key = HmacKey::Create(HashAlg::kSha256, SecretBytes(Pattern(32, 5)));
  ASSERT_TRUE(key);
  std::array<uint8_t, 64> mac{};
  const size_t size = key->Sign("message", mac);
  EXPECT_TRUE(key->Verify("message", std::span<const uint8_t>(mac.data(), size)));
  EXPECT_FALSE(key->Verify("messagE", std::span<const uint8_t>(mac.data(), size)));
  EXPECT_FALSE(key->Verify("message", std::span<const uint8_t>(mac.data(), size - 1)));
  EXPECT_FALSE(key->Verify("message", std::span<const uint8_t>(mac.data(), size + 1)));
  EXPECT_FALSE(key->Verify("message", {}));
  for (size_t byte = 0; byte < size; ++byte) {
    auto tampered = mac;
    tampered[byte] ^= 0x01;
    EXPECT_FALSE(key->Verify("message", std::span<const uint8_t>(tampered.data(), size)));
  }
}

}  // namespace
}  // namespace sesame::crypto
