#pragma once

// JWS compact serialisation (RFC 7515 §7.1): split, check the protected header, verify the
// signature against a KeySet, and sign. This layer knows nothing of claims (jose/claims.h) and
// accepts any payload bytes. Every failure is kInvalidToken with a reason.
//
// Header rules (RFC 7515 §4, RFC 8725 §3): "alg" is required and must name the one algorithm of
// the key selected by "kid" ("none" names nothing); "crit" may only list parameters sesame
// understands, which is "b64" alone, and "b64" must be true if present (RFC 7797); "jwk", "jku",
// "x5u" and "x5c" are never used to find a key. Pure functions; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/key_set.h"

namespace sesame::jose {

inline constexpr size_t kMaxTokenSize = 8192;  // API.md: any single token is at most 8 KiB

struct JwsParts {
  std::string_view header_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;
  std::string_view signing_input;  // header_b64 + "." + payload_b64
};

struct JwsHeader {
  Algorithm alg = Algorithm::kHS256;
  std::string kid;  // empty if absent
  std::string typ;  // empty if absent
};

// Exactly three non-empty-header segments separated by two dots, at most kMaxTokenSize bytes.
[[nodiscard]] Result<JwsParts> SplitCompact(std::string_view token);
[[nodiscard]] Result<JwsHeader> ParseHeader(std::string_view header_b64);
// ParseHeader with a small per-thread cache of recent headers, keyed by their exact bytes: every
// token one key signs has the same header, so the hot path parses it once. The pointer stays
// valid until the next ParseHeaderCached call on this thread. Failures are not cached.
[[nodiscard]] Result<const JwsHeader*> ParseHeaderCached(std::string_view header_b64);
// Picks the key (by kid, or the only key for alg when there is no kid), checks that the token's
// alg is that key's alg, and verifies the signature.
[[nodiscard]] Result<void> VerifySignature(const JwsParts& parts, const JwsHeader& header,
                                           const KeySet& keys);

struct VerifiedJws {
  JwsHeader header;
  std::string payload;
};
// SplitCompact, ParseHeader and VerifySignature in one, then decodes the payload.
[[nodiscard]] Result<VerifiedJws> VerifyCompact(std::string_view token, const KeySet& keys);

// Signs payload with key; the header is {"alg":..,"typ":typ,"kid":..} (typ left out if empty).
[[nodiscard]] Result<std::string> SignCompact(const Jwk& key, std::string_view payload,
                                              std::string_view typ = "JWT");

// True if a typ header value names expected, compared case-insensitively and with the optional
// "application/" prefix (RFC 7515 §4.1.9).
bool TypMatches(std::string_view typ, std::string_view expected);

}  // namespace sesame::jose
