#pragma once

// Builders for hand-made tokens in jose tests: any header, any payload, any signature bytes.

#include <string>

#include "common/base64url.h"
#include "jose/jwk.h"

namespace sesame::jose::testing {

inline std::string SigningInput(const std::string& header_json, const std::string& payload) {
  return Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload);
}

// A compact JWS over header_json and payload, signed by signer's algorithm whatever the header
// says (that is the point: tests forge headers).
inline std::string Forge(const std::string& header_json, const std::string& payload,
                         const Jwk& signer) {
  const std::string input = SigningInput(header_json, payload);
  return input + "." + Base64UrlEncode(signer.Sign(input).value());
}

inline std::string WithSignature(const std::string& header_json, const std::string& payload,
                                 const std::string& signature_bytes) {
  return SigningInput(header_json, payload) + "." + Base64UrlEncode(signature_bytes);
}

}  // namespace sesame::jose::testing
