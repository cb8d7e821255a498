#include "common/secret_bytes.h"

#include <gtest/gtest.h>

namespace sesame {
namespace {

TEST(SecretBytes, ComparesByContent) {
  EXPECT_EQ(SecretBytes(std::string_view("abc")), SecretBytes(std::string_view("abc")));
  EXPECT_FALSE(SecretBytes(std::string_view("abc")) == SecretBytes(std::string_view("abd")));
  EXPECT_FALSE(SecretBytes(std::string_view("abc")) == SecretBytes(std::string_view("abcd")));
}

TEST(SecretBytes, MovedFromIsEmpty) {
  SecretBytes a(std::string_view("secret"));
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.view(), "secret");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
}

TEST(SecretBytes, CloneIsIndependent) {
  SecretBytes a(std::string_view("secret"));
  SecretBytes b = a.Clone();
  b.mutable_span()[0] = 'S';
  EXPECT_EQ(a.view(), "secret");
  EXPECT_EQ(b.view(), "Secret");
}

TEST(ConstantTimeEquals, EqualsAndDiffers) {
  EXPECT_TRUE(ConstantTimeEquals(std::string_view(""), std::string_view("")));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("token"), std::string_view("token")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("token"), std::string_view("tokem")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("token"), std::string_view("token2")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view(""), std::string_view("x")));
}

TEST(SecureWipe, ZeroesMemory) {
  char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  SecureWipe(buf, sizeof(buf));
  for (char c : buf) {
    EXPECT_EQ(c, 0);
  }
}

}  // namespace
}  // namespace sesame
