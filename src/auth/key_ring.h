#pragma once

// The signing key ring of the data directory (keys.json, mode 0600; DESIGN.md "Keys"):
// - one active key, which signs;
// - one next key, published in the JWKS before it ever signs, so verifiers that cache the
//   JWKS never meet an unknown kid;
// - retired keys, which keep verifying until the last token they signed has expired.
// Rotate() promotes next → active and active → retired, makes a new next key and drops retired
// keys whose tokens have all expired. It refuses while the next key is younger than the JWKS
// cache lifetime (it may not have reached every verifier yet) unless forced.
//
// A value type; load, change and save it whole (the file is replaced atomically). Not
// thread-safe; the server shares loaded rings as immutable snapshots.

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/key_set.h"

namespace sesame::auth {

enum class KeyState { kActive, kNext, kRetired };
std::string_view KeyStateName(KeyState state);  // "active", "next", "retired"

struct RingKey {
  jose::Jwk jwk;  // with its private half
  KeyState state = KeyState::kNext;
  TimePoint created_at;
  std::optional<TimePoint> retired_at;
};

class KeyRing {
 public:
  // How long verifiers may cache the JWKS (its Cache-Control max-age).
  static constexpr Seconds kJwksMaxAge{300};

  // A new ring: an active and a next key of `alg`.
  [[nodiscard]] static Result<KeyRing> Create(jose::Algorithm alg, TimePoint now);
  // kIoError if the file cannot be read, kInvalidKey if it is not a key ring.
  [[nodiscard]] static Result<KeyRing> Load(const std::string& path);
  // Loads `path`, or creates and saves a new ring there if the file does not exist.
  [[nodiscard]] static Result<KeyRing> LoadOrCreate(const std::string& path, jose::Algorithm alg,
                                                    TimePoint now);
  [[nodiscard]] Result<void> Save(const std::string& path) const;

  // kInvalidRequest if the next key is younger than kJwksMaxAge and !force.
  // `token_lifetime` is the longest a signed token lives (access TTL plus leeway).
  [[nodiscard]] Result<void> Rotate(jose::Algorithm next_alg, TimePoint now, Seconds token_lifetime,
                                    bool force);

  const jose::Jwk& active() const;
  const std::vector<RingKey>& keys() const { return keys_; }
  // The public keys that may verify a live token at `now`: active, next and retired keys
  // retired less than `token_lifetime` ago. For HMAC rings, the keys themselves.
  [[nodiscard]] Result<jose::KeySet> VerificationKeys(TimePoint now, Seconds token_lifetime) const;

 private:
  explicit KeyRing(std::vector<RingKey> keys) : keys_(std::move(keys)) {}

  std::vector<RingKey> keys_;
};

}  // namespace sesame::auth
