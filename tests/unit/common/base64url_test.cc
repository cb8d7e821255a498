#include "common/base64url.h"

#include <string>
#include <vector>

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

// Long inputs go through the AVX2 block decoder where the CPU has it (32 characters at a time
// while the output has 32 bytes of room); the rest through the scalar path. Both must agree.
TEST(Base64Url, RoundTripsLongInputsWithAndWithoutOutputSlack) {
  std::string bytes;
  uint32_t x = 12345;
  for (int i = 0; i < 700; ++i) {
    x = x * 1103515245 + 12345;
    bytes.push_back(static_cast<char>(x >> 24));
    const std::string encoded = Base64UrlEncode(bytes);
    for (size_t slack : {0, 1, 8, 32, 64}) {
      std::vector<uint8_t> out(bytes.size() + slack, 0xAA);
      const auto size = Base64UrlDecodeInto(encoded, out);
      ASSERT_EQ(size, bytes.size()) << "length " << bytes.size() << " slack " << slack;
      ASSERT_EQ(std::string(out.begin(), out.begin() + static_cast<long>(*size)), bytes)
          << "length " << bytes.size() << " slack " << slack;
    }
  }
}

TEST(Base64Url, RejectsAForeignByteAtEveryPositionOfALongInput) {
  std::string bytes(300, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(i * 7);
  }
  const std::string encoded = Base64UrlEncode(bytes);  // 400 characters
  // The bytes just outside each accepted range, the standard alphabet's '+' and '/', padding,
  // whitespace, NUL and high bytes.
  const char foreign[] = {'@', '[', '`', '{',  '/',    ':',    ',',    '.', '^',
                          '+', '=', ' ', '\0', '\x80', '\xff', '\x7f', '\n'};
  std::vector<uint8_t> out(bytes.size() + 64);
  for (size_t pos = 0; pos < encoded.size(); ++pos) {
    for (char c : foreign) {
      std::string bad = encoded;
      bad[pos] = c;
      EXPECT_FALSE(Base64UrlDecodeInto(bad, out)) << "byte " << int(c) << " at " << pos;
    }
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
