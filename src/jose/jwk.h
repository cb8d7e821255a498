#pragma once

// One JSON Web Key (RFC 7517) bound to exactly one algorithm. Because the algorithm lives in the
// key, algorithm confusion cannot be expressed: an RSA or EC key only ever verifies its own RS*,
// PS*, ES* algorithm, never an HS* token, and no key verifies "none" (which is not an Algorithm).
// Import checks that the key fits its algorithm (curve, size, HMAC secret at least as long as the
// hash output); "kid" defaults to the RFC 7638 thumbprint.
// Immutable; share freely across threads (copies share the key material).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "common/secret_bytes.h"
#include "crypto/asymmetric_key.h"
#include "crypto/hmac_key.h"
#include "jose/algorithm.h"

namespace sesame::jose {

class Jwk {
 public:
  // A fresh key for alg: RSA 2048, the curve of the ES* algorithm, Ed25519, or 64 random bytes
  // for HS* (at least the hash output; RFC 7518 §3.2).
  [[nodiscard]] static Result<Jwk> Generate(Algorithm alg);

  // Parses one JWK. "alg" may be omitted for EC and OKP keys (the curve decides); RSA and oct
  // keys need it. A "use" other than "sig" is refused. kInvalidKey with a reason.
  [[nodiscard]] static Result<Jwk> FromJson(std::string_view json);

  [[nodiscard]] static Result<Jwk> FromHmacSecret(Algorithm alg, SecretBytes secret,
                                                  std::string kid = "");

  Algorithm algorithm() const { return alg_; }
  KeyFamily family() const { return FamilyOf(alg_); }
  const std::string& kid() const { return kid_; }
  bool has_private() const;  // an HMAC key is always private
  bool is_symmetric() const { return family() == KeyFamily::kOct; }

  // The key without its private half; HMAC keys have none to remove (kInvalidKey).
  [[nodiscard]] Result<Jwk> PublicOnly() const;

  // JSON with kty, alg, kid, use and the key members; private members only if asked for and
  // present. An HMAC key's "k" is its private member.
  std::string ToJson(bool include_private) const;

  // RFC 7638 JWK thumbprint (SHA-256, base64url) over the required public members.
  std::string Thumbprint() const;

  // The raw signature over signing_input (JOSE form: r||s for ECDSA). kInvalidKey for a public key.
  [[nodiscard]] Result<std::string> Sign(std::string_view signing_input) const;
  bool Verify(std::string_view signing_input, std::span<const uint8_t> signature) const;

 private:
  using KeyMaterial = std::variant<crypto::HmacKey, crypto::AsymmetricKey>;
  Jwk(Algorithm alg, std::string kid, KeyMaterial key)
      : alg_(alg), kid_(std::move(kid)), key_(std::move(key)) {}
  static Result<Jwk> Make(Algorithm alg, std::string kid, KeyMaterial key);

  Algorithm alg_;
  std::string kid_;
  KeyMaterial key_;
};

}  // namespace sesame::jose
