#pragma once

// base64url without padding (RFC 4648 §5, as JOSE uses it, RFC 7515 §2).
// Decoding is strict: no padding, no whitespace, no byte outside the URL-safe alphabet, no
// length of 1 mod 4, and the unused low bits of the last character must be zero, so every byte
// string has exactly one accepted encoding. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sesame {

std::string Base64UrlEncode(std::span<const uint8_t> bytes);
std::string Base64UrlEncode(std::string_view bytes);
// Appends the encoding of bytes to out.
void Base64UrlEncodeAppend(std::span<const uint8_t> bytes, std::string& out);

// The decoded size of a valid encoding of this length; nullopt for a length no encoding has
// (a remainder of one character carries only 6 bits).
inline std::optional<size_t> Base64UrlDecodedSize(size_t encoded_size) {
  if (encoded_size % 4 == 1) {
    return std::nullopt;
  }
  return encoded_size / 4 * 3 + (encoded_size % 4 == 0 ? 0 : encoded_size % 4 - 1);
}

// Decodes into out, which must hold Base64UrlDecodedSize(text.size()) bytes. Returns the number
// of bytes written, or nullopt if text is not a canonical unpadded base64url string.
std::optional<size_t> Base64UrlDecodeInto(std::string_view text, std::span<uint8_t> out);

std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace sesame
