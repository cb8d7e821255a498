#pragma once

// Secrets the server derives for a session from one server key (HMAC-SHA256), instead of storing
// them (DESIGN.md "Refresh rotation"):
// - the refresh token of each generation, "<session id>.<generation>.<mac>". Because generation
//   g's token can be recomputed, a concurrent retry is answered with the very same successor
//   (an idempotent answer) while the store keeps only hashes; and because the token names its
//   generation, a token of any older generation is recognised as ours (theft) rather than
//   garbage;
// - the CSRF token of a jwt-mode session, so a cookie request carrying an access JWT can be
//   checked for CSRF without a store read;
// - the device token that lets a known device past the account-wide failed-login limit.
// The key lives in the data directory (mode 0600); every node of a deployment needs the same.
// Immutable; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "common/secret_bytes.h"
#include "crypto/hmac_key.h"

namespace sesame::auth {

struct RefreshTokenParts {
  std::string_view session_id;
  int64_t generation = 0;
};

class SessionSecrets {
 public:
  // A key of 32 random bytes, base64url in `path`, made (mode 0600) if the file is missing.
  // kIoError, kInvalidKey (the file holds less than 32 bytes).
  [[nodiscard]] static Result<SessionSecrets> LoadOrCreate(const std::string& path);
  [[nodiscard]] static Result<SessionSecrets> FromKey(SecretBytes key);

  std::string RefreshToken(std::string_view session_id, int64_t generation) const;
  // The parts of a refresh token this server minted (MAC checked in constant time); nullopt
  // for anything else. The views point into `token`.
  std::optional<RefreshTokenParts> OpenRefreshToken(std::string_view token) const;

  std::string CsrfToken(std::string_view session_id) const;

  // The device token of API.md "Device cookie": "<user id>.<epoch>.<issued unix s>.<mac>",
  // bound to the user and to the user's device epoch (moved by a password change or "sign out
  // everywhere", which so invalidates every earlier token).
  std::string DeviceToken(std::string_view user_id, int64_t epoch, TimePoint issued_at) const;
  // Whether `token` is a device token this server minted for `user_id` at `epoch`, issued at
  // most `max_age` before `now` (MAC checked in constant time).
  bool IsValidDeviceToken(std::string_view token, std::string_view user_id, int64_t epoch,
                          TimePoint now, Seconds max_age) const;

 private:
  explicit SessionSecrets(crypto::HmacKey key) : key_(std::move(key)) {}

  crypto::HmacKey key_;
};

}  // namespace sesame::auth
