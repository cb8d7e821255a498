#include "jose/jwt_verifier.h"

#include "common/base64url.h"
#include "jose/strict_json.h"

namespace sesame::jose {

Result<Claims> JwtVerifier::Verify(std::string_view token, TimePoint now,
                                   std::string* payload_json) const {
  auto parts = SplitCompact(token);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  auto header = ParseHeader(parts->header_b64);
  if (!header) {
    return tl::unexpected(header.error());
  }
  // The signature comes before anything else about the payload: an unauthenticated token learns
  // nothing about which of its claims would have failed.
  if (auto verified = VerifySignature(*parts, *header, *keys_); !verified) {
    return tl::unexpected(verified.error());
  }
  if (!policy_.expected_typ.empty() && !TypMatches(header->typ, policy_.expected_typ)) {
    return MakeError(ErrorCode::kInvalidToken, "token typ is not \"" + policy_.expected_typ + "\"");
  }
  thread_local detail::PaddedBuffer buffer;
  const auto size = Base64UrlDecodedSize(parts->payload_b64.size());
  if (!size || !Base64UrlDecodeInto(parts->payload_b64, buffer.Prepare(*size))) {
    return MakeError(ErrorCode::kInvalidToken, "token payload is not canonical base64url");
  }
  const std::string_view payload = buffer.view(*size);
  auto claims = ParseClaims(payload, policy_.required_claims);
  if (!claims) {
    return tl::unexpected(claims.error());
  }
  if (auto valid = ValidateClaims(*claims, policy_, now); !valid) {
    return tl::unexpected(valid.error());
  }
  if (payload_json != nullptr) {
    payload_json->assign(payload);
  }
  return claims;
}

Result<std::string> SignJwt(const Jwk& key, std::string_view claims_json, std::string_view typ) {
  if (auto claims = ParseClaims(claims_json, {}); !claims) {
    return MakeError(ErrorCode::kInvalidRequest, "claims: " + claims.error().detail);
  }
  return SignCompact(key, claims_json, typ);
}

}  // namespace sesame::jose
