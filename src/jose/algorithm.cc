#include "jose/algorithm.h"

namespace sesame::jose {

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  for (Algorithm alg : kAllAlgorithms) {
    if (AlgorithmName(alg) == name) {
      return alg;
    }
  }
  return std::nullopt;
}

std::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHS256:
      return "HS256";
    case Algorithm::kHS384:
      return "HS384";
    case Algorithm::kHS512:
      return "HS512";
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kRS384:
      return "RS384";
    case Algorithm::kRS512:
      return "RS512";
    case Algorithm::kPS256:
      return "PS256";
    case Algorithm::kPS384:
      return "PS384";
    case Algorithm::kPS512:
      return "PS512";
    case Algorithm::kES256:
      return "ES256";
    case Algorithm::kES384:
      return "ES384";
    case Algorithm::kES512:
      return "ES512";
    case Algorithm::kEdDSA:
      return "EdDSA";
  }
  return "";
}

KeyFamily FamilyOf(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHS256:
    case Algorithm::kHS384:
    case Algorithm::kHS512:
      return KeyFamily::kOct;
    case Algorithm::kRS256:
    case Algorithm::kRS384:
    case Algorithm::kRS512:
    case Algorithm::kPS256:
    case Algorithm::kPS384:
    case Algorithm::kPS512:
      return KeyFamily::kRsa;
    case Algorithm::kES256:
    case Algorithm::kES384:
    case Algorithm::kES512:
      return KeyFamily::kEc;
    case Algorithm::kEdDSA:
      return KeyFamily::kOkp;
  }
  return KeyFamily::kOct;
}

crypto::HashAlg HashOf(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHS256:
    case Algorithm::kRS256:
    case Algorithm::kPS256:
    case Algorithm::kES256:
      return crypto::HashAlg::kSha256;
    case Algorithm::kHS384:
    case Algorithm::kRS384:
    case Algorithm::kPS384:
    case Algorithm::kES384:
      return crypto::HashAlg::kSha384;
    case Algorithm::kHS512:
    case Algorithm::kRS512:
    case Algorithm::kPS512:
    case Algorithm::kES512:
    case Algorithm::kEdDSA:
      return crypto::HashAlg::kSha512;
  }
  return crypto::HashAlg::kSha256;
}

crypto::SignatureScheme SchemeOf(Algorithm alg) {
  switch (FamilyOf(alg)) {
    case KeyFamily::kRsa:
      return alg == Algorithm::kPS256 || alg == Algorithm::kPS384 || alg == Algorithm::kPS512
                 ? crypto::SignatureScheme::kRsaPss
                 : crypto::SignatureScheme::kRsaPkcs1v15;
    case KeyFamily::kEc:
      return crypto::SignatureScheme::kEcdsa;
    case KeyFamily::kOkp:
    case KeyFamily::kOct:
      return crypto::SignatureScheme::kEd25519;
  }
  return crypto::SignatureScheme::kEd25519;
}

std::optional<crypto::Curve> CurveOf(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES256:
      return crypto::Curve::kP256;
    case Algorithm::kES384:
      return crypto::Curve::kP384;
    case Algorithm::kES512:
      return crypto::Curve::kP521;
    default:
      return std::nullopt;
  }
}

}  // namespace sesame::jose
