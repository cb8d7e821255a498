#include "crypto/random.h"

#include <set>

#include <gtest/gtest.h>

#include "common/base64url.h"

namespace sesame::crypto {
namespace {

TEST(Random, TokenIs256BitsOfBase64Url) {
  const std::string token = RandomToken();
  EXPECT_EQ(token.size(), 43u);
  auto bytes = Base64UrlDecode(token);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 32u);
}

TEST(Random, TokensDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(RandomToken()).second);
  }
}

TEST(Random, SecretHasRequestedSizeAndIsNotConstant) {
  SecretBytes a = RandomSecret(64);
  SecretBytes b = RandomSecret(64);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace sesame::crypto
