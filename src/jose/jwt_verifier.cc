#include "jose/jwt_verifier.h"

#include <span>
#include <vector>

#include "common/base64url.h"

namespace sesame::jose {

Result<ClaimsView> JwtVerifier::VerifyImpl(std::string_view token, TimePoint now,
                                           std::string_view* payload_out) const {
  auto parts = SplitCompact(token);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  auto header = ParseHeaderCached(parts->header_b64);
  if (!header) {
    return tl::unexpected(header.error());
  }
  // The signature comes before anything else about the payload: an unauthenticated token learns
  // nothing about which of its claims would have failed.
  if (auto verified = VerifySignature(*parts, **header, *keys_); !verified) {
    return tl::unexpected(verified.error());
  }
  if (!policy_.expected_typ.empty() && !TypMatches((*header)->typ, policy_.expected_typ)) {
    return MakeError(ErrorCode::kInvalidToken, "token typ is not \"" + policy_.expected_typ + "\"");
  }
  const auto size = Base64UrlDecodedSize(parts->payload_b64.size());
  if (!size) {
    return MakeError(ErrorCode::kInvalidToken, "token payload is not canonical base64url");
  }
  // Decoded straight into the claims parser's padded input; the padding lets the SIMD decoder
  // store whole blocks up to the end.
  std::span<uint8_t> room = ClaimsInputBuffer(*size);
  if (!Base64UrlDecodeInto(parts->payload_b64, std::span<uint8_t>(room.data(), *size + 32))) {
    return MakeError(ErrorCode::kInvalidToken, "token payload is not canonical base64url");
  }
  const std::string_view payload(reinterpret_cast<const char*>(room.data()), *size);
  auto claims = ParseClaimsViewInPlace(*size, policy_.required_claims);
  if (!claims) {
    return tl::unexpected(claims.error());
  }
  if (auto valid = ValidateClaims(*claims, policy_, now); !valid) {
    return tl::unexpected(valid.error());
  }
  if (payload_out != nullptr) {
    *payload_out = payload;
  }
  return claims;
}

Result<ClaimsView> JwtVerifier::VerifyView(std::string_view token, TimePoint now) const {
  return VerifyImpl(token, now, nullptr);
}

Result<Claims> JwtVerifier::Verify(std::string_view token, TimePoint now,
                                   std::string* payload_json) const {
  std::string_view payload;
  auto claims = VerifyImpl(token, now, &payload);
  if (!claims) {
    return tl::unexpected(claims.error());
  }
  if (payload_json != nullptr) {
    payload_json->assign(payload);
  }
  return ToClaims(*claims);
}

Result<std::string> SignJwt(const Jwk& key, std::string_view claims_json, std::string_view typ) {
  if (auto claims = ParseClaimsView(claims_json, {}); !claims) {
    return MakeError(ErrorCode::kInvalidRequest, "claims: " + claims.error().detail);
  }
  return SignCompact(key, claims_json, typ);
}

}  // namespace sesame::jose
