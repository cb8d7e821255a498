#include "auth/username.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

TEST(NormalizeUsername, ComposesToNfcAndFoldsCase) {
  // "e" + COMBINING ACUTE ACCENT composes to U+00E9.
  auto decomposed = NormalizeUsername("Jose\xcc\x81");
  auto composed = NormalizeUsername("JOS\xc3\x89");
  ASSERT_THAT(decomposed, IsOk());
  ASSERT_THAT(composed, IsOk());
  EXPECT_EQ(decomposed->display, "Jos\xc3\xa9");
  EXPECT_EQ(decomposed->key, composed->key);
  EXPECT_EQ(NormalizeUsername("Alice")->key, NormalizeUsername("aLICE")->key);
  // Full case folding: German sharp s folds to "ss".
  EXPECT_EQ(NormalizeUsername("Stra\xc3\x9f"
                              "e")
                ->key,
            NormalizeUsername("STRASSE")->key);
}

TEST(NormalizeUsername, CountsCharactersNotBytes) {
  std::string sixty_four_e_acute;
  for (int i = 0; i < 64; ++i) {
    sixty_four_e_acute += "\xc3\xa9";
  }
  EXPECT_THAT(NormalizeUsername(sixty_four_e_acute), IsOk());
  EXPECT_THAT(NormalizeUsername(sixty_four_e_acute + "x"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(NormalizeUsername(std::string(64, 'a')), IsOk());
  EXPECT_THAT(NormalizeUsername(std::string(65, 'a')), HasError(ErrorCode::kInvalidRequest));
}

TEST(NormalizeUsername, RejectsEmptyControlSpaceAndInvalidUtf8) {
  for (const std::string& bad :
       {std::string(), std::string("a\tb"), std::string("a b"), std::string("a\x7f"),
        std::string("\xc3"), std::string("\xff\xfe"), std::string("a\0b", 3),
        std::string("a\xc2\x85"
                    "b")}) {
    EXPECT_THAT(NormalizeUsername(bad), HasError(ErrorCode::kInvalidRequest)) << bad;
  }
}

TEST(CheckPasswordShape, EightTo1024CharactersSpacesAllowed) {
  EXPECT_THAT(CheckPasswordShape("1234567"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(CheckPasswordShape("correct horse"), IsOk());
  EXPECT_THAT(CheckPasswordShape(std::string(1024, 'x')), IsOk());
  EXPECT_THAT(CheckPasswordShape(std::string(1025, 'x')), HasError(ErrorCode::kInvalidRequest));
  // Eight characters in 16 bytes is long enough.
  EXPECT_THAT(
      CheckPasswordShape("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
      IsOk());
  EXPECT_THAT(CheckPasswordShape("abc\ndefgh"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(CheckPasswordShape("abcdefg\xff"), HasError(ErrorCode::kInvalidRequest));
}

}  // namespace
}  // namespace sesame::auth
