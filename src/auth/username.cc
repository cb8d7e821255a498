#include "auth/username.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace sesame::auth {
namespace {

constexpr size_t kMaxUsernameCharacters = 64;

// The code points of well-formed UTF-8, or nullopt. U8_NEXT refuses what RFC 3629 refuses:
// overlong forms, surrogates, values past U+10FFFF, truncated sequences.
std::optional<std::u32string> DecodeUtf8(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT32_MAX)) {
    return std::nullopt;
  }
  std::u32string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

bool IsControl(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

std::string CodePointName(char32_t c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(c));
  return buffer;
}

// What a terminal would not show as it is stored, or would reorder.
bool IsHidden(UChar32 c) {
  return IsControl(static_cast<char32_t>(c)) || u_isUWhiteSpace(c) ||
         u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL) ||
         u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

// The rules every character of an NFKC username obeys, most specific first, so the message
// names the rule a client broke. Bidi controls are default-ignorable too; they get their own
// message because reordering what a name looks like is the graver trick (UTS #39 §3.3,
// Trojan Source).
Result<void> CheckUsernameCharacters(const std::u32string& name) {
  for (const char32_t c : name) {
    const auto code_point = static_cast<UChar32>(c);
    if (IsControl(c)) {
      return MakeError(ErrorCode::kInvalidRequest, "username contains a control character");
    }
    if (u_isUWhiteSpace(code_point)) {
      return MakeError(ErrorCode::kInvalidRequest, "username contains a space");
    }
    if (u_hasBinaryProperty(code_point, UCHAR_BIDI_CONTROL)) {
      return MakeError(ErrorCode::kInvalidRequest,
                       "username contains a bidi control character (" + CodePointName(c) + ")");
    }
    if (u_hasBinaryProperty(code_point, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
      return MakeError(ErrorCode::kInvalidRequest,
                       "username contains an invisible (default-ignorable) character (" +
                           CodePointName(c) + ")");
    }
  }
  return {};
}

// Normalises valid UTF-8 with one of ICU's built-in normalisers (NFKC or NFKC_Casefold).
Result<std::string> Normalize(const icu::Normalizer2* (*instance)(UErrorCode&),
                              std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = instance(status);
  if (U_FAILURE(status) || normalizer == nullptr) {
    return MakeError(ErrorCode::kInvalidRequest, "username cannot be normalised");
  }
  const icu::UnicodeString normalized =
      normalizer->normalize(icu::UnicodeString::fromUTF8(text), status);
  if (U_FAILURE(status)) {
    return MakeError(ErrorCode::kInvalidRequest, "username cannot be normalised");
  }
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

}  // namespace

Result<Username> NormalizeUsername(std::string_view raw) {
  if (!DecodeUtf8(raw)) {
    return MakeError(ErrorCode::kInvalidRequest, "username is not valid UTF-8");
  }
  // NFKC before any rule: the rules then hold for what is stored and shown, and a compatibility
  // form (full-width letters, U+00A0 and other spaces, ligatures) cannot slip past them.
  auto display = Normalize(&icu::Normalizer2::getNFKCInstance, raw);
  if (!display) {
    return tl::unexpected(display.error());
  }
  const auto characters = DecodeUtf8(*display);
  if (!characters) {
    return MakeError(ErrorCode::kInvalidRequest, "username cannot be normalised");
  }
  if (auto ok = CheckUsernameCharacters(*characters); !ok) {
    return tl::unexpected(ok.error());
  }
  if (characters->empty() || characters->size() > kMaxUsernameCharacters) {
    return MakeError(ErrorCode::kInvalidRequest, "username must be 1 to 64 characters");
  }
  auto key = Normalize(&icu::Normalizer2::getNFKCCasefoldInstance, *display);
  if (!key) {
    return tl::unexpected(key.error());
  }
  return Username{std::move(*display), std::move(*key)};
}

Result<std::string> FoldUsername(std::string_view text) {
  if (!DecodeUtf8(text)) {
    return MakeError(ErrorCode::kInvalidRequest, "username is not valid UTF-8");
  }
  return Normalize(&icu::Normalizer2::getNFKCCasefoldInstance, text);
}

std::string PrintableUsername(std::string_view text) {
  std::string out;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(std::min<size_t>(text.size(), INT32_MAX));
  int32_t i = 0;
  while (i < length) {
    const int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) {
      for (int32_t b = start; b < i; ++b) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "<0x%02X>", static_cast<unsigned>(bytes[b]));
        out += buffer;
      }
    } else if (IsHidden(c)) {
      out += '<';
      out += CodePointName(static_cast<char32_t>(c));
      out += '>';
    } else {
      out.append(text.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    }
  }
  return out;
}

Result<void> CheckPasswordShape(std::string_view password) {
  const auto characters = DecodeUtf8(password);
  if (!characters) {
    return MakeError(ErrorCode::kInvalidRequest, "password is not valid UTF-8");
  }
  for (const char32_t c : *characters) {
    if (IsControl(c)) {
      return MakeError(ErrorCode::kInvalidRequest, "password contains a control character");
    }
  }
  if (characters->size() < 8 || characters->size() > 1024) {
    return MakeError(ErrorCode::kInvalidRequest, "password must be 8 to 1024 characters");
  }
  return {};
}

}  // namespace sesame::auth
