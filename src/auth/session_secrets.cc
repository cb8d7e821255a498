#include "auth/session_secrets.h"

#include <sys/stat.h>

#include <array>
#include <charconv>

#include "common/base64url.h"
#include "common/files.h"
#include "crypto/random.h"

namespace sesame::auth {
namespace {

constexpr size_t kKeySize = 32;
constexpr size_t kMacSize = 32;           // HMAC-SHA256
constexpr size_t kMacText = 43;           // base64url of 32 bytes
constexpr size_t kMaxSessionIdSize = 64;  // ours are 24 characters
constexpr size_t kMaxGenerationDigits = 18;

// Domain separation: a refresh MAC can never pass as a CSRF token or the reverse.
std::string RefreshInput(std::string_view session_id, int64_t generation) {
  std::string input = "sesame-refresh\n";
  input.append(session_id).append("\n").append(std::to_string(generation));
  return input;
}

std::string CsrfInput(std::string_view session_id) {
  return std::string("sesame-csrf\n").append(session_id);
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

Result<SessionSecrets> SessionSecrets::FromKey(SecretBytes key) {
  if (key.size() < kKeySize) {
    return MakeError(ErrorCode::kInvalidKey, "the session secrets key must hold 32 bytes");
  }
  auto hmac = crypto::HmacKey::Create(crypto::HashAlg::kSha256, std::move(key));
  if (!hmac) {
    return tl::unexpected(hmac.error());
  }
  return SessionSecrets(std::move(*hmac));
}

Result<SessionSecrets> SessionSecrets::LoadOrCreate(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const SecretBytes fresh = crypto::RandomSecret(kKeySize);
    std::string text = Base64UrlEncode(fresh.span());
    text.push_back('\n');
    auto written = WriteFileAtomically(path, text, 0600);
    SecureWipe(text.data(), text.size());
    if (!written) {
      return tl::unexpected(written.error());
    }
  }
  auto file = ReadSecretFile(path);
  if (!file) {
    return tl::unexpected(file.error());
  }
  std::string_view text = file->view();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  SecretBytes key(Base64UrlDecodedSize(text.size()).value_or(0));
  const auto size = Base64UrlDecodeInto(text, key.mutable_span());
  if (!size || *size < kKeySize) {
    return MakeError(ErrorCode::kInvalidKey,
                     path + ": not a session secrets key (32 bytes, base64url)");
  }
  return FromKey(SecretBytes(key.span().first(*size)));
}

std::string SessionSecrets::RefreshToken(std::string_view session_id, int64_t generation) const {
  std::array<uint8_t, kMacSize> mac{};
  key_.Sign(RefreshInput(session_id, generation), mac);
  std::string token;
  token.reserve(session_id.size() + kMaxGenerationDigits + kMacText + 2);
  token.append(session_id).append(".").append(std::to_string(generation)).append(".");
  Base64UrlEncodeAppend(mac, token);
  return token;
}

std::optional<RefreshTokenParts> SessionSecrets::OpenRefreshToken(std::string_view token) const {
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view session_id = token.substr(0, first);
  const std::string_view generation_text = token.substr(first + 1, second - first - 1);
  const std::string_view mac_text = token.substr(second + 1);
  if (session_id.empty() || session_id.size() > kMaxSessionIdSize || generation_text.empty() ||
      generation_text.size() > kMaxGenerationDigits || mac_text.size() != kMacText) {
    return std::nullopt;
  }
  for (char c : session_id) {
    if (!IsIdChar(c)) {
      return std::nullopt;
    }
  }
  int64_t generation = 0;
  const auto [end, ec] = std::from_chars(
      generation_text.data(), generation_text.data() + generation_text.size(), generation);
  if (ec != std::errc() || end != generation_text.data() + generation_text.size() ||
      generation < 0 || (generation_text.size() > 1 && generation_text[0] == '0')) {
    return std::nullopt;
  }
  std::array<uint8_t, kMacSize> mac{};
  const auto decoded = Base64UrlDecodeInto(mac_text, mac);
  // The decoder takes only the canonical spelling: one token, one text (the store keeps the
  // text's hash).
  if (!decoded || *decoded != kMacSize || !key_.Verify(RefreshInput(session_id, generation), mac)) {
    return std::nullopt;
  }
  return RefreshTokenParts{session_id, generation};
}

std::string SessionSecrets::CsrfToken(std::string_view session_id) const {
  std::array<uint8_t, kMacSize> mac{};
  key_.Sign(CsrfInput(session_id), mac);
  return Base64UrlEncode(mac);
}

}  // namespace sesame::auth
