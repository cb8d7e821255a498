#include "auth/username_skeleton.h"

#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/username.h"
#include "result_matchers.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

// The skeleton of a name as an account gets it: normalised first, then skeleton of the key.
std::string SkeletonOf(const std::string& name) {
  auto normalized = NormalizeUsername(name);
  EXPECT_THAT(normalized, IsOk()) << name;
  if (!normalized) {
    return "(invalid: " + name + ")";
  }
  auto skeleton = UsernameSkeleton(normalized->key);
  EXPECT_THAT(skeleton, IsOk()) << name;
  return skeleton.value_or("(no skeleton: " + name + ")");
}

TEST(UsernameSkeleton, CyrillicLookalikeMeetsTheLatinNameInAnyCase) {
  const std::string admin = SkeletonOf("admin");
  EXPECT_EQ(SkeletonOf("\xd0\xb0"
                       "dmin"),
            admin);  // CYRILLIC SMALL LETTER A
  EXPECT_EQ(SkeletonOf("Admin"), admin);
  EXPECT_EQ(SkeletonOf("\xd0\x90"
                       "DMIN"),
            admin);  // CYRILLIC CAPITAL LETTER A
  EXPECT_EQ(SkeletonOf("p\xd0\xb0ypal"), SkeletonOf("PayPal"));
  // Greek omicron for o.
  EXPECT_EQ(SkeletonOf("r\xce\xbf"
                       "bert"),
            SkeletonOf("robert"));
}

TEST(UsernameSkeleton, FullWidthFormsMeetThroughNfkc) {
  // ICU's skeleton alone leaves full-width D and N as they are; NFKC first makes them ASCII.
  EXPECT_EQ(SkeletonOf("\xef\xbc\xa1\xef\xbc\xa4\xef\xbc\xad\xef\xbc\xa9\xef\xbc\xae"),
            SkeletonOf("admin"));
}

TEST(UsernameSkeleton, DigitsMeetTheLettersTheyResembleInAnyCase) {
  EXPECT_EQ(SkeletonOf("adm1n"), SkeletonOf("admln"));  // one and small L
  // Zero's prototype is capital O; the final fold lets it meet a folded o too.
  EXPECT_EQ(SkeletonOf("BOB0"), SkeletonOf("BOBO"));
  EXPECT_EQ(SkeletonOf("bob0"), SkeletonOf("bobo"));
}

TEST(UsernameSkeleton, LetterSequencesThatLookLikeOneLetterMeet) {
  // UTS #39 maps m to "rn": a price paid in false positives, shown here so that nobody is
  // surprised by it.
  EXPECT_EQ(SkeletonOf("modern"), SkeletonOf("modem"));
}

TEST(UsernameSkeleton, OrdinaryNamesInManyScriptsKeepDistinctSkeletons) {
  const std::vector<std::string> names = {
      "Jos\xc3\xa9",                               // José
      "Jose",                                      //
      "\xc5\x81ukasz",                             // Łukasz
      "Lukasz",                                    //
      "\xe7\x94\xb0\xe4\xb8\xad",                  // 田中
      "\xe4\xb8\xad\xe7\x94\xb0",                  // 中田
      "\xd0\x9e\xd0\xbb\xd1\x8c\xd0\xb3\xd0\xb0",  // Ольга
      "Olga",                                      //
      "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf",          // محمد
      "\xce\x9d\xce\xaf\xce\xba\xce\xbf\xcf\x82",  // Νίκος
      "admin",
      "alice",
      "bob",
      "carol",
      "alice.smith-2",  //
  };
  std::set<std::string> skeletons;
  for (const std::string& name : names) {
    skeletons.insert(SkeletonOf(name));
  }
  EXPECT_EQ(skeletons.size(), names.size());
}

TEST(UsernameSkeleton, IsStableAndRefusesInvalidUtf8) {
  EXPECT_EQ(UsernameSkeleton("admin").value(), UsernameSkeleton("admin").value());
  EXPECT_THAT(UsernameSkeleton("\xff"), HasError(ErrorCode::kInvalidRequest));
}

}  // namespace
}  // namespace sesame::auth
