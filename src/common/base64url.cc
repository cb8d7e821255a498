#include "common/base64url.h"

#include <array>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sesame {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) {
    v = kInvalid;
  }
  for (uint8_t i = 0; i < 64; ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = i;
  }
  return table;
}

constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

// The decode table pre-shifted to each of the four positions in a 4-character group, so a group
// costs four loads and three ORs. An invalid byte sets bit 24, above the 24 data bits.
constexpr uint32_t kInvalidBit = uint32_t{1} << 24;

constexpr std::array<uint32_t, 256> MakeShiftedTable(int shift) {
  std::array<uint32_t, 256> table{};
  for (size_t c = 0; c < 256; ++c) {
    table[c] = kDecode[c] == kInvalid ? kInvalidBit : uint32_t{kDecode[c]} << shift;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kShift18 = MakeShiftedTable(18);
constexpr std::array<uint32_t, 256> kShift12 = MakeShiftedTable(12);
constexpr std::array<uint32_t, 256> kShift6 = MakeShiftedTable(6);
constexpr std::array<uint32_t, 256> kShift0 = MakeShiftedTable(0);

#if defined(__x86_64__)
// Decodes whole 32-character blocks with AVX2 while the output has room for a 32-byte store
// (24 bytes are kept). No Debian package offers strict base64url decoding with SIMD, and scalar
// decoding of a token payload costs about as much as parsing it, so this is written here; the
// technique is Muła and Lemire's (ACM TOW 2018), with range compares instead of their nibble
// tables because base64url's '-' and '_' break the table trick. Returns the characters consumed
// (a multiple of 32), or SIZE_MAX if a block holds a byte outside the alphabet.
__attribute__((target("avx2"))) size_t DecodeBlocksAvx2(const uint8_t* in, size_t chars,
                                                        uint8_t* out, size_t out_room) {
  const __m256i pack_pairs = _mm256_set1_epi32(0x01400140);  // a*64 + b, c*64 + d
  const __m256i pack_quads = _mm256_set1_epi32(0x00011000);  // (a*64+b) << 12 | (c*64+d)
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2,
                                         1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i gather = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  // Bounds for signed range compares (lo - 1 < c < hi + 1): bytes >= 0x80 are negative and so
  // in no range. Hoisted out of the loop.
  const __m256i upper_lo = _mm256_set1_epi8('A' - 1), upper_hi = _mm256_set1_epi8('Z' + 1);
  const __m256i lower_lo = _mm256_set1_epi8('a' - 1), lower_hi = _mm256_set1_epi8('z' + 1);
  const __m256i digit_lo = _mm256_set1_epi8('0' - 1), digit_hi = _mm256_set1_epi8('9' + 1);
  size_t i = 0;
  size_t o = 0;
  while (i + 32 <= chars && o + 32 <= out_room) {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    const __m256i upper =
        _mm256_and_si256(_mm256_cmpgt_epi8(c, upper_lo), _mm256_cmpgt_epi8(upper_hi, c));
    const __m256i lower =
        _mm256_and_si256(_mm256_cmpgt_epi8(c, lower_lo), _mm256_cmpgt_epi8(lower_hi, c));
    const __m256i digit =
        _mm256_and_si256(_mm256_cmpgt_epi8(c, digit_lo), _mm256_cmpgt_epi8(digit_hi, c));
    const __m256i dash = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('-'));
    const __m256i underscore = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_'));
    const __m256i valid = _mm256_or_si256(
        _mm256_or_si256(upper, lower), _mm256_or_si256(_mm256_or_si256(digit, dash), underscore));
    if (_mm256_movemask_epi8(valid) != -1) {
      return SIZE_MAX;
    }
    // Each class maps to its 6-bit value by one offset: A=0, a=26, 0=52, '-'=62, '_'=63.
    const __m256i offset = _mm256_or_si256(
        _mm256_or_si256(_mm256_and_si256(upper, _mm256_set1_epi8(-'A')),
                        _mm256_and_si256(lower, _mm256_set1_epi8(26 - 'a'))),
        _mm256_or_si256(_mm256_or_si256(_mm256_and_si256(digit, _mm256_set1_epi8(52 - '0')),
                                        _mm256_and_si256(dash, _mm256_set1_epi8(62 - '-'))),
                        _mm256_and_si256(underscore, _mm256_set1_epi8(63 - '_'))));
    const __m256i values = _mm256_add_epi8(c, offset);
    const __m256i pairs = _mm256_maddubs_epi16(values, pack_pairs);
    const __m256i quads = _mm256_madd_epi16(pairs, pack_quads);
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(quads, order), gather);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + o), bytes);
    i += 32;
    o += 24;
  }
  return i;
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

}  // namespace

void Base64UrlEncodeAppend(std::span<const uint8_t> bytes, std::string& out) {
  const size_t full = bytes.size() / 3 * 3;
  const size_t start = out.size();
  out.resize(start + (bytes.size() * 4 + 2) / 3);
  char* p = out.data() + start;
  size_t i = 0;
  for (; i < full; i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *p++ = kAlphabet[(v >> 18) & 63];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - full;
  if (rest == 1) {
    const uint32_t v = uint32_t{bytes[i]} << 16;
    *p++ = kAlphabet[(v >> 18) & 63];
    *p++ = kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    *p++ = kAlphabet[(v >> 18) & 63];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
  }
}

std::string Base64UrlEncode(std::span<const uint8_t> bytes) {
  std::string out;
  Base64UrlEncodeAppend(bytes, out);
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  return Base64UrlEncode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

std::optional<size_t> Base64UrlDecodeInto(std::string_view text, std::span<uint8_t> out) {
  const auto size = Base64UrlDecodedSize(text.size());
  if (!size || out.size() < *size) {
    return std::nullopt;
  }
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  const size_t full = text.size() / 4 * 4;
  uint8_t* p = out.data();
  size_t i = 0;
#if defined(__x86_64__)
  if (text.size() >= 64 && HasAvx2()) {
    i = DecodeBlocksAvx2(in, full, p, out.size());
    if (i == SIZE_MAX) {
      return std::nullopt;
    }
    p += i / 4 * 3;
  }
#endif
  // OR every group together and test once at the end: the loop has no data-dependent branch.
  uint32_t bad = 0;
  for (; i < full; i += 4) {
    const uint32_t v =
        kShift18[in[i]] | kShift12[in[i + 1]] | kShift6[in[i + 2]] | kShift0[in[i + 3]];
    bad |= v;
    p[0] = static_cast<uint8_t>(v >> 16);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v);
    p += 3;
  }
  if (bad & kInvalidBit) {
    return std::nullopt;
  }
  bad = 0;
  const size_t rest = text.size() - full;
  if (rest == 2) {
    const uint32_t a = kDecode[in[i]], b = kDecode[in[i + 1]];
    bad |= a | b;
    // The low 4 bits of the last character are padding bits and must be zero (RFC 4648 §3.5).
    bad |= (b & 0x0f) != 0 ? kInvalid : 0;
    *p++ = static_cast<uint8_t>((a << 2) | (b >> 4));
  } else if (rest == 3) {
    const uint32_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]];
    bad |= a | b | c;
    bad |= (c & 0x03) != 0 ? kInvalid : 0;
    const uint32_t v = (a << 12) | (b << 6) | c;
    *p++ = static_cast<uint8_t>(v >> 10);
    *p++ = static_cast<uint8_t>(v >> 2);
  }
  if (bad & 0x80) {  // only the invalid marker has a bit above the 6 value bits
    return std::nullopt;
  }
  return *size;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  const auto size = Base64UrlDecodedSize(text.size());
  if (!size) {
    return std::nullopt;
  }
  std::string out(*size, '\0');
  if (!Base64UrlDecodeInto(
          text, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size()))) {
    return std::nullopt;
  }
  return out;
}

}  // namespace sesame
