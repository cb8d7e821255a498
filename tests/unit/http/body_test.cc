#include "http/body.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::http {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::HasErrorMentioning;
using ::sesame::testing::IsOk;

constexpr FieldSpec kSpecs[] = {{"username", FieldType::kString, true},
                                {"remember", FieldType::kBool},
                                {"roles", FieldType::kStringList}};

Result<BodyFields> Parse(std::string_view type, std::string_view body, bool allow_form = true) {
  HeaderField fields[] = {{"Content-Type", type}};
  Request r;
  r.headers = fields;
  r.body = body;
  return ParseBody(r, kSpecs, allow_form);
}

TEST(ParseBody, ReadsTypedJsonFields) {
  auto b = Parse("application/json; charset=utf-8",
                 R"({"username":"a","remember":true,"roles":["x","y"],"extra":1})");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->String("username"), "a");
  EXPECT_EQ(b->Bool("remember"), true);
  EXPECT_EQ(*b->List("roles"), (std::vector<std::string>{"x", "y"}));
}

TEST(ParseBody, ReadsForms) {
  auto b = Parse("application/x-www-form-urlencoded", "username=a%20b&remember=on");
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(b->is_form);
  EXPECT_EQ(b->String("username"), "a b");
  EXPECT_EQ(b->Bool("remember"), true);
  EXPECT_THAT(Parse("application/x-www-form-urlencoded", "username=a", false),
              HasError(ErrorCode::kInvalidRequest));
}

TEST(ParseBody, RejectsMalformedAndMistypedInput) {
  EXPECT_THAT(Parse("application/json", "{"),
              HasErrorMentioning(ErrorCode::kInvalidRequest, "malformed JSON"));
  EXPECT_THAT(Parse("application/json", "[]"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(Parse("application/json", R"({"username":1})"),
              HasErrorMentioning(ErrorCode::kInvalidRequest, "username"));
  EXPECT_THAT(Parse("application/json", R"({"remember":true})"),
              HasErrorMentioning(ErrorCode::kInvalidRequest, "required"));
  EXPECT_THAT(Parse("application/json", R"({"username":"a","roles":[1]})"),
              HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(Parse("text/plain", "username=a"), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(Parse("application/x-www-form-urlencoded", "username=%zz"),
              HasError(ErrorCode::kInvalidRequest));
  std::string deep(100000, '[');
  EXPECT_THAT(Parse("application/json", deep), HasError(ErrorCode::kInvalidRequest));
}

}  // namespace
}  // namespace sesame::http
