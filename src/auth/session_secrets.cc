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

std::string DeviceInput(std::string_view user_id, int64_t epoch, int64_t issued) {
  std::string input = "sesame-device\n";
  input.append(user_id).append("\n").append(std::to_string(epoch)).append("\n");
  input.append(std::to_string(issued));
  return input;
}

// A non-negative decimal without a leading zero (one spelling per number); nullopt otherwise.
std::optional<int64_t> CanonicalNumber(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > kMaxGenerationDigits || ec != std::errc() ||
      end != text.data() + text.size() || value < 0 || (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }
  return value;
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

std::string SessionSecrets::DeviceToken(std::string_view user_id, int64_t epoch,
                                        TimePoint issued_at) const {
  const int64_t issued = ToUnixSeconds(issued_at);
  std::array<uint8_t, kMacSize> mac{};
  key_.Sign(DeviceInput(user_id, epoch, issued), mac);
  std::string token(user_id);
  token.append(".").append(std::to_string(epoch)).append(".").append(std::to_string(issued));
  token.append(".");
  Base64UrlEncodeAppend(mac, token);
  return token;
}

bool SessionSecrets::IsValidDeviceToken(std::string_view token, std::string_view user_id,
                                        int64_t epoch, TimePoint now, Seconds max_age) const {
  // "<user id>.<epoch>.<issued>.<mac>": the user id is ours (no dot in it), so split from it.
  if (token.size() <= user_id.size() || !token.starts_with(user_id) ||
      token[user_id.size()] != '.') {
    return false;
  }
  const std::string_view rest = token.substr(user_id.size() + 1);
  const size_t dot1 = rest.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : rest.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) {
    return false;
  }
  const auto token_epoch = CanonicalNumber(rest.substr(0, dot1));
  const auto issued = CanonicalNumber(rest.substr(dot1 + 1, dot2 - dot1 - 1));
  const std::string_view mac_text = rest.substr(dot2 + 1);
  if (!token_epoch || *token_epoch != epoch || !issued || mac_text.size() != kMacText) {
    return false;
  }
  const int64_t age = ToUnixSeconds(now) - *issued;
  if (age < -60 || age > max_age.count()) {  // a minute of clock skew between nodes
    return false;
  }
  std::array<uint8_t, kMacSize> mac{};
  const auto decoded = Base64UrlDecodeInto(mac_text, mac);
  return decoded && *decoded == kMacSize && key_.Verify(DeviceInput(user_id, epoch, *issued), mac);
}

}  // namespace sesame::auth
