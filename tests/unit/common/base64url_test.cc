#include "common/base64url.h"

#include <string>

#include <gtest/gtest.h>

namespace sesame {
namespace {

struct Vector {
  std::string decoded;
  std::string encoded;
};

// RFC 4648 §10 vectors in the URL-safe alphabet without padding, plus bytes that use '-' and '_'.
const Vector kVectors[] = {
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
    {"\xfb\xff", "-_8"},
    {"\x03\xe0\x7f\xbf", "A-B_vw"},
};

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(Base64UrlEncode(v.decoded), v.encoded) << v.encoded;
  }
}

TEST(Base64Url, DecodesRfc4648Vectors) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(Base64UrlDecode(v.encoded), v.decoded) << v.encoded;
  }
}

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>((i * 37 + 11) & 0xff));
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes) << "length " << bytes.size();
  }
}

TEST(Base64Url, RejectsPadding) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));
  EXPECT_FALSE(Base64UrlDecode("Zm8="));
}

TEST(Base64Url, RejectsStandardAlphabetAndWhitespace) {
  EXPECT_FALSE(Base64UrlDecode("+_8"));
  EXPECT_FALSE(Base64UrlDecode("-/8"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v Yg"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\nYmFy"));
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm9v\0Yg", 7)));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\xc3\xa9"));
}

TEST(Base64Url, RejectsImpossibleLength) {
  EXPECT_FALSE(Base64UrlDecode("Z"));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
  // "Zg" is the only encoding of "f"; "Zh" decodes to the same byte with a non-zero spare bit.
  EXPECT_FALSE(Base64UrlDecode("Zh"));
  EXPECT_FALSE(Base64UrlDecode("Zm9"));  // canonical is "Zm8"
  // RFC 7515 A.1's signature ends in 'k'; 'l' would decode to the same bytes.
  EXPECT_TRUE(Base64UrlDecode("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
  EXPECT_FALSE(Base64UrlDecode("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"));
}

TEST(Base64Url, DecodeIntoRefusesTooSmallBuffer) {
  uint8_t out[2];
  EXPECT_FALSE(Base64UrlDecodeInto("Zm9v", out));
  uint8_t enough[3];
  EXPECT_EQ(Base64UrlDecodeInto("Zm9v", enough), 3u);
}

}  // namespace
}  // namespace sesame
