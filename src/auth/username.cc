#include "auth/username.h"

#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace sesame::auth {
namespace {

// libunistring (Debian's libunistring-dev) does NFC and full case folding; nothing in the
// allowed dependency list covers Unicode normalisation otherwise.
struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using UniBuffer = std::unique_ptr<uint8_t, FreeDeleter>;

const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

Result<void> CheckText(std::string_view text, std::string_view what, bool allow_space) {
  if (u8_check(Bytes(text), text.size()) != nullptr) {
    return MakeError(ErrorCode::kInvalidRequest, std::string(what) + " is not valid UTF-8");
  }
  const uint8_t* p = Bytes(text);
  const uint8_t* end = p + text.size();
  while (p < end) {
    ucs4_t c = 0;
    const int n = u8_mbtouc(&c, p, static_cast<size_t>(end - p));
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029 ||
        (!allow_space && c == ' ')) {
      if (c == ' ') {
        return MakeError(ErrorCode::kInvalidRequest, std::string(what) + " contains a space");
      }
      return MakeError(ErrorCode::kInvalidRequest,
                       std::string(what) + " contains a control character");
    }
    p += n;
  }
  return {};
}

size_t CountCharacters(std::string_view text) {
  return u8_mbsnlen(Bytes(text), text.size());
}

Result<std::string> Transform(std::string_view text, bool fold) {
  size_t length = 0;
  UniBuffer out(fold ? u8_casefold(Bytes(text), text.size(), nullptr, UNINORM_NFC, nullptr, &length)
                     : u8_normalize(UNINORM_NFC, Bytes(text), text.size(), nullptr, &length));
  if (!out) {
    return MakeError(ErrorCode::kInvalidRequest, "username cannot be normalised");
  }
  return std::string(reinterpret_cast<const char*>(out.get()), length);
}

}  // namespace

Result<Username> NormalizeUsername(std::string_view raw) {
  if (auto ok = CheckText(raw, "username", /*allow_space=*/false); !ok) {
    return tl::unexpected(ok.error());
  }
  auto display = Transform(raw, /*fold=*/false);
  if (!display) {
    return tl::unexpected(display.error());
  }
  const size_t n = CountCharacters(*display);
  if (n < 1 || n > 64) {
    return MakeError(ErrorCode::kInvalidRequest, "username must be 1 to 64 characters");
  }
  auto key = Transform(*display, /*fold=*/true);
  if (!key) {
    return tl::unexpected(key.error());
  }
  return Username{std::move(*display), std::move(*key)};
}

Result<void> CheckPasswordShape(std::string_view password) {
  if (auto ok = CheckText(password, "password", /*allow_space=*/true); !ok) {
    return ok;
  }
  const size_t n = CountCharacters(password);
  if (n < 8 || n > 1024) {
    return MakeError(ErrorCode::kInvalidRequest, "password must be 8 to 1024 characters");
  }
  return {};
}

}  // namespace sesame::auth
