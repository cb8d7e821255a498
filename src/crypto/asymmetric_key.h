#pragma once

// RSA, ECDSA (P-256/384/521) and Ed25519 keys behind one small type: generate, import and export
// raw components (as JWK carries them), sign and verify. ECDSA signatures are the fixed-length
// r||s form JOSE uses (RFC 7518 §3.4), never DER. Which algorithm a key may serve is decided one
// layer up (jose/jwk.h); this type only refuses what no algorithm may use (RSA below 2048 bits,
// points off the curve, mismatched private and public halves).
// Immutable; share freely across threads (copies share the underlying key).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret_bytes.h"
#include "crypto/digest.h"

namespace sesame::crypto {

enum class KeyKind { kRsa, kEc, kEd25519 };
enum class Curve { kP256, kP384, kP521 };
enum class SignatureScheme { kRsaPkcs1v15, kRsaPss, kEcdsa, kEd25519 };

// Size in bytes of one coordinate (and of r and of s): 32, 48, 66.
size_t CoordinateSize(Curve curve);

// Unsigned big-endian integers, as JWK carries them after base64url decoding. An empty private
// member means "public key only".
struct RsaComponents {
  std::string n, e;
  SecretBytes d, p, q, dp, dq, qi;
};
struct EcComponents {
  Curve curve = Curve::kP256;
  std::string x, y;  // each exactly CoordinateSize(curve) bytes
  SecretBytes d;     // empty, or exactly CoordinateSize(curve) bytes
};
struct Ed25519Components {
  std::string x;  // 32 bytes
  SecretBytes d;  // empty, or the 32-byte seed
};

class AsymmetricKey {
 public:
  static constexpr int kMinRsaBits = 2048;
  static constexpr int kMaxRsaBits = 8192;  // bounds the cost an attacker-chosen JWK can impose

  [[nodiscard]] static Result<AsymmetricKey> GenerateRsa(int bits);
  [[nodiscard]] static Result<AsymmetricKey> GenerateEc(Curve curve);
  [[nodiscard]] static Result<AsymmetricKey> GenerateEd25519();

  // kInvalidKey with a reason when the components do not form a usable key.
  [[nodiscard]] static Result<AsymmetricKey> FromRsa(const RsaComponents& c);
  [[nodiscard]] static Result<AsymmetricKey> FromEc(const EcComponents& c);
  [[nodiscard]] static Result<AsymmetricKey> FromEd25519(const Ed25519Components& c);

  KeyKind kind() const;
  std::optional<Curve> curve() const;  // set for kEc
  int bits() const;                    // modulus or field size
  size_t signature_size() const;       // exact size of every valid signature
  bool has_private() const;

  // The same key without its private half.
  AsymmetricKey PublicOnly() const;

  // Private members are left empty unless include_private and the key has them.
  // kInvalidKey if the key is of another kind.
  [[nodiscard]] Result<RsaComponents> ExportRsa(bool include_private) const;
  [[nodiscard]] Result<EcComponents> ExportEc(bool include_private) const;
  [[nodiscard]] Result<Ed25519Components> ExportEd25519(bool include_private) const;

  // kInvalidKey for a public-only key or a scheme the key's kind does not fit.
  [[nodiscard]] Result<std::string> Sign(SignatureScheme scheme, HashAlg hash,
                                         std::string_view data) const;
  // False for any signature that is not exactly valid: wrong length, DER for ECDSA, r or s zero
  // or not below the curve order, or a scheme the key's kind does not fit.
  bool Verify(SignatureScheme scheme, HashAlg hash, std::string_view data,
              std::span<const uint8_t> signature) const;

 private:
  struct Impl;
  friend struct AsymmetricKeyFactory;  // builds keys from OpenSSL handles, in the .cc file
  explicit AsymmetricKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;
};

}  // namespace sesame::crypto
