#include "auth/username.h"

#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::HasErrorMentioning;
using ::sesame::testing::IsOk;

TEST(NormalizeUsername, ComposesToNfkcAndFoldsCase) {
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

TEST(NormalizeUsername, CompatibilityFormsBecomeTheirPlainLetters) {
  // The audit's full-width ADMIN (U+FF21 ...): NFKC makes it ASCII, so it is admin's key.
  auto full_width =
      NormalizeUsername("\xef\xbc\xa1\xef\xbc\xa4\xef\xbc\xad\xef\xbc\xa9\xef\xbc\xae");
  ASSERT_THAT(full_width, IsOk());
  EXPECT_EQ(full_width->display, "ADMIN");
  EXPECT_EQ(full_width->key, "admin");
  // The ligature U+FB01, superscript two, and a circled digit.
  EXPECT_EQ(NormalizeUsername("\xef\xac\x81le")->display, "file");
  EXPECT_EQ(NormalizeUsername("x\xc2\xb2")->display, "x2");
  EXPECT_EQ(NormalizeUsername("\xe2\x91\xa0")->display, "1");
}

TEST(NormalizeUsername, RefusesDefaultIgnorableCodePoints) {
  // ZERO WIDTH SPACE (the audit's admin\u200b), ZWNJ, ZWJ, WORD JOINER, BOM, SOFT HYPHEN,
  // COMBINING GRAPHEME JOINER, VARIATION SELECTOR-16, HANGUL FILLER, a tag character.
  for (const char* invisible :
       {"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf", "\xc2\xad",
        "\xcd\x8f", "\xef\xb8\x8f", "\xe3\x85\xa4", "\xf3\xa0\x80\xa1"}) {
    for (const std::string& name :
         {std::string("admin") + invisible, std::string("ad") + invisible + "min",
          std::string(invisible) + "admin"}) {
      EXPECT_THAT(NormalizeUsername(name),
                  HasErrorMentioning(ErrorCode::kInvalidRequest, "default-ignorable"))
          << name;
    }
  }
  // Alone it is still refused for what it is, not for being empty.
  EXPECT_THAT(NormalizeUsername("\xe2\x80\x8b"),
              HasErrorMentioning(ErrorCode::kInvalidRequest, "default-ignorable"));
}

TEST(NormalizeUsername, RefusesEveryBidiControl) {
  // U+061C, U+200E, U+200F, U+202A-U+202E (the audit's RTL override is U+202E), U+2066-U+2069.
  for (const char* control : {"\xd8\x9c", "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa",
                              "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae",
                              "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9"}) {
    const std::string name = std::string("ad") + control + "min";
    EXPECT_THAT(NormalizeUsername(name), HasErrorMentioning(ErrorCode::kInvalidRequest, "bidi"))
        << name;
  }
}

TEST(NormalizeUsername, RefusesSpacesThatNfkcMakesOrKeeps) {
  // NO-BREAK SPACE, IDEOGRAPHIC SPACE and EN SPACE become U+0020 under NFKC; OGHAM SPACE MARK
  // stays white space.
  for (const char* space : {"\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\x82", "\xe1\x9a\x80"}) {
    EXPECT_THAT(NormalizeUsername(std::string("a") + space + "b"),
                HasErrorMentioning(ErrorCode::kInvalidRequest, "space"))
        << space;
  }
}

TEST(NormalizeUsername, CyrillicLookalikeIsAValidNameWithItsOwnKey) {
  // "аdmin" with CYRILLIC SMALL LETTER A passes the shape rules; what keeps it from
  // impersonating admin is the confusable skeleton (auth/username_skeleton.h).
  auto cyrillic = NormalizeUsername(
      "\xd0\xb0"
      "dmin");
  ASSERT_THAT(cyrillic, IsOk());
  EXPECT_NE(cyrillic->key, NormalizeUsername("admin")->key);
}

TEST(NormalizeUsername, OrdinaryNamesInManyScriptsAreAcceptedAndDistinct) {
  const std::vector<std::string> names = {
      "Jos\xc3\xa9",                               // José
      "\xc5\x81ukasz",                             // Łukasz
      "\xe7\x94\xb0\xe4\xb8\xad",                  // 田中
      "\xd0\x9e\xd0\xbb\xd1\x8c\xd0\xb3\xd0\xb0",  // Ольга
      "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf",  // محمد: right-to-left letters are no controls
      "\xce\x9d\xce\xaf\xce\xba\xce\xbf\xcf\x82",  // Νίκος
      "Jose",
      "Lukasz",
      "Olga",
      "alice.smith-2",
  };
  std::set<std::string> keys;
  for (const std::string& name : names) {
    auto normalized = NormalizeUsername(name);
    ASSERT_THAT(normalized, IsOk()) << name;
    EXPECT_EQ(normalized->display, name);
    keys.insert(normalized->key);
  }
  EXPECT_EQ(keys.size(), names.size());
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

TEST(FoldUsername, FoldsLikeNormalizeButDropsWhatTheRulesRefuse) {
  EXPECT_EQ(FoldUsername("\xef\xbc\xa1\xef\xbc\xa4\xef\xbc\xad\xef\xbc\xa9\xef\xbc\xae").value(),
            "admin");
  EXPECT_EQ(FoldUsername("Stra\xc3\x9f"
                         "e")
                .value(),
            NormalizeUsername("STRASSE")->key);
  // A name stored before the rules: its invisible character is no part of its key.
  EXPECT_EQ(FoldUsername("admin\xe2\x80\x8b").value(), "admin");
  EXPECT_THAT(FoldUsername("\xff"), HasError(ErrorCode::kInvalidRequest));
}

TEST(PrintableUsername, ShowsWhatATerminalWouldHideOrReorder) {
  EXPECT_EQ(PrintableUsername("Jos\xc3\xa9"), "Jos\xc3\xa9");
  EXPECT_EQ(PrintableUsername("\xd0\xb0"
                              "dmin"),
            "\xd0\xb0"
            "dmin");
  EXPECT_EQ(PrintableUsername("ad\xe2\x80\xaemin"), "ad<U+202E>min");
  EXPECT_EQ(PrintableUsername("admin\xe2\x80\x8b"), "admin<U+200B>");
  EXPECT_EQ(PrintableUsername("a\tb c\n"), "a<U+0009>b<U+0020>c<U+000A>");
  EXPECT_EQ(PrintableUsername("a\xff\xc3"), "a<0xFF><0xC3>");
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
