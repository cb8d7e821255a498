#pragma once

// The JWS algorithms sesame signs and verifies (RFC 7518 §3, RFC 8037 §3.1) and what each one
// needs from a key. "none" is not an algorithm here: it cannot be named, so it cannot verify.
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string_view>

#include "crypto/asymmetric_key.h"
#include "crypto/digest.h"

namespace sesame::jose {

enum class Algorithm : uint8_t {
  kHS256,
  kHS384,
  kHS512,
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA,
};

inline constexpr Algorithm kAllAlgorithms[] = {
    Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512, Algorithm::kRS256, Algorithm::kRS384,
    Algorithm::kRS512, Algorithm::kPS256, Algorithm::kPS384, Algorithm::kPS512, Algorithm::kES256,
    Algorithm::kES384, Algorithm::kES512, Algorithm::kEdDSA,
};

enum class KeyFamily { kOct, kRsa, kEc, kOkp };

// Exact, case-sensitive match of the registered name (RFC 7518 §3.1): "HS256", "EdDSA".
std::optional<Algorithm> ParseAlgorithm(std::string_view name);
std::string_view AlgorithmName(Algorithm alg);

KeyFamily FamilyOf(Algorithm alg);
crypto::HashAlg HashOf(Algorithm alg);  // SHA-512 for EdDSA (unused: Ed25519 hashes itself)
crypto::SignatureScheme SchemeOf(Algorithm alg);      // meaningless for HS*
std::optional<crypto::Curve> CurveOf(Algorithm alg);  // set for ES*

}  // namespace sesame::jose
