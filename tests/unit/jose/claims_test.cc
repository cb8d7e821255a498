#include "jose/claims.h"

#include <gtest/gtest.h>

#include "jose/strict_json.h"
#include "result_matchers.h"

namespace sesame::jose {
namespace {

using sesame::testing::HasError;
using sesame::testing::HasErrorMentioning;
using sesame::testing::IsOk;

constexpr int64_t kNow = 1'800'000'000;

Result<void> Check(const std::string& payload, const ClaimsPolicy& policy = {}) {
  auto claims = ParseClaimsView(payload, policy.required_claims);
  if (!claims) {
    return tl::unexpected(claims.error());
  }
  return ValidateClaims(*claims, policy, FromUnixSeconds(kNow));
}

std::string Claim(const std::string& name, int64_t value) {
  return "{\"" + name + "\":" + std::to_string(value) + "}";
}

struct TimeCase {
  const char* name;
  std::string payload;
  std::optional<ErrorCode> error;
};

TEST(ClaimsTime, ExpNbfIatWithSixtySecondLeeway) {
  const TimeCase cases[] = {
      {"exp now", Claim("exp", kNow), std::nullopt},
      {"exp 59 s ago (inside leeway)", Claim("exp", kNow - 59), std::nullopt},
      {"exp 60 s ago", Claim("exp", kNow - 60), ErrorCode::kTokenExpired},
      {"exp long ago", Claim("exp", kNow - 100000), ErrorCode::kTokenExpired},
      {"nbf 60 s ahead (inside leeway)", Claim("nbf", kNow + 60), std::nullopt},
      {"nbf 61 s ahead", Claim("nbf", kNow + 61), ErrorCode::kInvalidToken},
      {"iat 60 s ahead (inside leeway)", Claim("iat", kNow + 60), std::nullopt},
      {"iat 61 s ahead", Claim("iat", kNow + 61), ErrorCode::kInvalidToken},
      {"fractional exp", R"({"exp":1800000000.9})", std::nullopt},
      {"exp beyond int64", R"({"exp":18446744073709551615})", std::nullopt},
      {"exp 1e300", R"({"exp":1e300})", std::nullopt},
      {"exp -1e300", R"({"exp":-1e300})", ErrorCode::kTokenExpired},
      {"no time claims", "{}", std::nullopt},
  };
  for (const auto& c : cases) {
    if (c.error) {
      EXPECT_THAT(Check(c.payload), HasError(*c.error)) << c.name;
    } else {
      EXPECT_THAT(Check(c.payload), IsOk()) << c.name;
    }
  }
}

TEST(ClaimsTime, LeewayIsConfigurable) {
  ClaimsPolicy strict;
  strict.leeway = Seconds(0);
  EXPECT_THAT(Check(Claim("exp", kNow), strict), HasError(ErrorCode::kTokenExpired));
  EXPECT_THAT(Check(Claim("exp", kNow + 1), strict), IsOk());
  EXPECT_THAT(Check(Claim("nbf", kNow + 1), strict), HasError(ErrorCode::kInvalidToken));
}

TEST(ClaimsIssuerAudience, IssMustMatchWhenConfigured) {
  ClaimsPolicy policy;
  policy.issuer = "https://auth.example.com";
  EXPECT_THAT(Check(R"({"iss":"https://auth.example.com"})", policy), IsOk());
  EXPECT_THAT(Check(R"({"iss":"https://evil.example.com"})", policy),
              HasErrorMentioning(ErrorCode::kInvalidToken, "iss"));
  EXPECT_THAT(Check("{}", policy), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Check(R"({"iss":"anything"})"), IsOk());
}

TEST(ClaimsIssuerAudience, AudIsAStringOrAnArrayThatMustContainOurs) {
  ClaimsPolicy policy;
  policy.audience = "api";
  EXPECT_THAT(Check(R"({"aud":"api"})", policy), IsOk());
  EXPECT_THAT(Check(R"({"aud":["web","api"]})", policy), IsOk());
  EXPECT_THAT(Check(R"({"aud":"web"})", policy),
              HasErrorMentioning(ErrorCode::kInvalidToken, "aud"));
  EXPECT_THAT(Check(R"({"aud":["web"]})", policy), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Check(R"({"aud":[]})", policy), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Check("{}", policy), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(Check(R"({"aud":"apis"})", policy), HasError(ErrorCode::kInvalidToken));
}

TEST(ClaimsParsing, RequiredClaimsMustBePresent) {
  ClaimsPolicy policy;
  policy.required_claims = {"exp", "sid"};
  EXPECT_THAT(Check(R"({"exp":9999999999,"sid":"s"})", policy), IsOk());
  EXPECT_THAT(Check(R"({"sid":"s"})", policy),
              HasErrorMentioning(ErrorCode::kInvalidToken, "\"exp\""));
  EXPECT_THAT(Check(R"({"exp":9999999999})", policy),
              HasErrorMentioning(ErrorCode::kInvalidToken, "\"sid\""));
}

TEST(ClaimsParsing, RegisteredClaimsMustHaveTheirTypes) {
  for (const char* payload :
       {R"({"exp":"9999999999"})", R"({"exp":true})", R"({"exp":null})", R"({"nbf":[1]})",
        R"({"iat":{}})", R"({"sub":1})", R"({"iss":null})", R"({"jti":[]})", R"({"sid":false})",
        R"({"aud":5})", R"({"aud":[1]})", R"({"aud":["a",null]})", R"({"roles":"admin"})",
        R"({"roles":[1]})"}) {
    EXPECT_THAT(Check(payload), HasError(ErrorCode::kInvalidToken)) << payload;
  }
}

TEST(ClaimsParsing, ReadsEveryKnownClaim) {
  auto claims =
      ParseClaims(R"({"iss":"i","sub":"u","aud":"a","exp":3,"nbf":1,"iat":2,"jti":"j","sid":"s",)"
                  R"("roles":["admin","user"],"custom":{"nested":[1,2]}})",
                  {});
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->iss, "i");
  EXPECT_EQ(claims->sub, "u");
  EXPECT_EQ(claims->aud, std::vector<std::string>{"a"});
  EXPECT_EQ(claims->exp, 3);
  EXPECT_EQ(claims->nbf, 1);
  EXPECT_EQ(claims->iat, 2);
  EXPECT_EQ(claims->jti, "j");
  EXPECT_EQ(claims->sid, "s");
  EXPECT_EQ(claims->roles, (std::vector<std::string>{"admin", "user"}));
}

TEST(ClaimsParsing, DuplicateClaimsAreRefused) {
  EXPECT_THAT(ParseClaims(R"({"sub":"alice","sub":"admin"})", {}),
              HasErrorMentioning(ErrorCode::kInvalidToken, "more than once"));
  EXPECT_THAT(ParseClaims(R"({"x":[{"a":1,"a":2}]})", {}),
              HasErrorMentioning(ErrorCode::kInvalidToken, "more than once"));
}

TEST(ClaimsParsing, LargeObjectsAreCheckedForDuplicatesToo) {
  std::string payload = "{";
  for (int i = 0; i < 500; ++i) {
    payload += "\"c" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  EXPECT_THAT(ParseClaims(payload + "\"last\":0}", {}), IsOk());
  EXPECT_THAT(ParseClaims(payload + "\"c250\":0}", {}),
              HasErrorMentioning(ErrorCode::kInvalidToken, "more than once"));
}

TEST(ClaimsParsing, NestingDepthIsLimited) {
  auto nested = [](int depth) {
    std::string s = "{\"a\":";
    for (int i = 0; i < depth; ++i) {
      s += "[";
    }
    for (int i = 0; i < depth; ++i) {
      s += "]";
    }
    return s + "}";
  };
  EXPECT_THAT(ParseClaims(nested(10), {}), IsOk());
  EXPECT_THAT(ParseClaims(nested(40), {}), HasError(ErrorCode::kInvalidToken));
  EXPECT_THAT(ParseClaims(nested(10000), {}), HasError(ErrorCode::kInvalidToken));
}

// The claims parser reads with simdjson's On-Demand API and validates every value it skips
// itself; the header and JWK parsers use the DOM API. On grammar they must agree exactly.
TEST(ClaimsParsing, AgreesWithStrictDomParserOnGrammar) {
  const char* cases[] = {
      R"({"a":tru})",
      R"({"a":nul})",
      R"({"a":nulll})",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":-})",
      R"({"a":1e999})",
      R"({"a":-0})",
      R"({"a":1E+2})",
      R"({"a":[1,]})",
      R"({"a":{"b":1,}})",
      R"({"a":1}})",
      R"({"a":1}])",
      R"({"a":1} x)",
      R"({"a":1}   )",
      R"(  {"a":1})",
      R"({"a":[})",
      R"({"a" 1})",
      R"({"a":1 "b":2})",
      R"({"a":"x\q"})",
      R"({"a":"\u12"})",
      R"({"a":"\ud800"})",
      R"({"a":"\ud83d\ude00"})",
      R"({"a":true,"b":false,"c":null,"d":[{},[],""]})",
      R"({"a":[{"x":1,"x":2}]})",
      R"({"a":{"b":{"c":1,"c":1}}})",
      R"({"":1,"":2})",
      R"({"a":1,"a":1})",
      R"({"a\u0000b":1})",
      "{\"a\":\"\x01\"}",
      "{\"a\":\"\xc3\x28\"}",
      "{\"a\":\"\xe2\x82\xac\"}",
      R"({"a":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]})",
      R"({"a":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]})",
      R"({"a":18446744073709551616})",
      R"({"a":-9223372036854775809})",
      R"({"a":1.7976931348623157e309})",
  };
  for (const char* json : cases) {
    const bool dom =
        detail::ParseStrictObject(detail::ThreadParser(0), json, "payload").has_value();
    const bool claims = ParseClaimsView(json, {}).has_value();
    EXPECT_EQ(claims, dom) << json;
  }
}

TEST(ClaimsParsing, OnlyAStrictJsonObjectIsAPayload) {
  for (const char* payload : {"[]", "\"str\"", "1", "null", "", "{", "{\"a\":1,}", "{'a':1}",
                              "{\"a\":1} {}", "{\"a\":NaN}", "{\"a\":\"\xc3\x28\"}"}) {
    EXPECT_THAT(ParseClaims(payload, {}), HasError(ErrorCode::kInvalidToken)) << payload;
  }
}

}  // namespace
}  // namespace sesame::jose
