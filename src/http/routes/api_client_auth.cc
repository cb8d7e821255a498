#include "http/routes/api_client_auth.h"

#include <optional>
#include <string>

#include "auth/session_cache.h"
#include "common/base64url.h"
#include "common/secret_bytes.h"

namespace sesame::http {
namespace {

// RFC 4648 §4 base64 (padded or not) via the base64url decoder: the alphabets differ in two
// characters only.
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string url(text);
  while (!url.empty() && url.back() == '=') {
    url.pop_back();
  }
  for (char& c : url) {
    if (c == '+') {
      c = '-';
    } else if (c == '/') {
      c = '_';
    } else if (c == '-' || c == '_') {
      return std::nullopt;
    }
  }
  return Base64UrlDecode(url);
}

}  // namespace

Result<const ApiClient*> AuthenticateClient(const Request& request, const HttpPolicy& policy) {
  const std::string_view authorization = request.Header("Authorization");
  if (authorization.empty()) {
    return MakeError(ErrorCode::kMissingCredentials, "an API key is required");
  }
  std::string name;
  std::string key;
  if (authorization.size() > 6 &&
      (authorization.substr(0, 6) == "Basic " || authorization.substr(0, 6) == "basic ")) {
    auto decoded = DecodeBase64(authorization.substr(6));
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return MakeError(ErrorCode::kInvalidCredentials, "malformed Basic credentials");
    }
    name = decoded->substr(0, colon);
    key = decoded->substr(colon + 1);
    SecureWipe(decoded->data(), decoded->size());
  } else if (authorization.size() > 7 &&
             (authorization.substr(0, 7) == "Bearer " || authorization.substr(0, 7) == "bearer ")) {
    key = std::string(authorization.substr(7));
  } else {
    return MakeError(ErrorCode::kInvalidCredentials, "unsupported authorization scheme");
  }
  const std::string hash = auth::SecretHashText(auth::HashSecret(key));
  SecureWipe(key.data(), key.size());
  const ApiClient* match = nullptr;
  for (const ApiClient& client : policy.api_clients) {  // every entry: no early exit
    const bool same =
        ConstantTimeEquals(hash, client.key_hash) && (name.empty() || name == client.name);
    if (same && match == nullptr) {
      match = &client;
    }
  }
  if (match == nullptr) {
    return MakeError(ErrorCode::kInvalidCredentials, "unknown API key");
  }
  return match;
}

}  // namespace sesame::http
