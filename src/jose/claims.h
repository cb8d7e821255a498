#pragma once

// JWT claims (RFC 7519 §4.1, plus sesame's "sid" and "roles", and OpenID Connect's
// "preferred_username") and the rules that accept or
// refuse them at a given time. Parsing is strict: the payload is one JSON object with no name
// twice at any depth, registered claims have their registered types (strings, NumericDates, aud
// as string or array of strings), "roles" is an array of strings.
//
// Two forms: ClaimsView for the request hot path (no allocation after warm-up; its views point
// into this thread's parser and stay valid only until the next claims parse on this thread) and
// Claims, an owning copy. Pure functions; thread-safe.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace sesame::jose {

struct ClaimsView {
  std::optional<std::string_view> iss, sub, jti, sid, preferred_username;
  bool has_aud = false;
  std::span<const std::string_view> aud;  // a string aud becomes a one-element list
  std::optional<int64_t> exp, nbf, iat;   // NumericDate, fractions dropped
  std::span<const std::string_view> roles;
};

struct Claims {
  std::optional<std::string> iss, sub, jti, sid, preferred_username;
  std::optional<std::vector<std::string>> aud;
  std::optional<int64_t> exp, nbf, iat;
  std::vector<std::string> roles;
};

struct ClaimsPolicy {
  Seconds leeway{60};                        // for exp, nbf and iat (RFC 7519 §4.1.4)
  std::string issuer;                        // if set, iss must equal it
  std::string audience;                      // if set, aud must contain it
  std::string expected_typ;                  // if set, the header typ must name it
  std::vector<std::string> required_claims;  // names that must be present, e.g. "exp"
};

// kInvalidToken if the payload is not a strict JSON object, a claim has the wrong type, or a
// required claim is missing.
[[nodiscard]] Result<ClaimsView> ParseClaimsView(std::string_view payload_json,
                                                 const std::vector<std::string>& required_claims);
[[nodiscard]] Result<Claims> ParseClaims(std::string_view payload_json,
                                         const std::vector<std::string>& required_claims);
Claims ToClaims(const ClaimsView& view);

// For the verifier's hot path: a per-thread buffer of size bytes (followed by the parser's
// padding) to decode the payload into, and ParseClaimsView over its first size bytes, without
// another copy. The span is valid until the next call of either on this thread.
std::span<uint8_t> ClaimsInputBuffer(size_t size);
[[nodiscard]] Result<ClaimsView> ParseClaimsViewInPlace(
    size_t size, const std::vector<std::string>& required_claims);

// Time and audience rules. kTokenExpired once now >= exp + leeway; kInvalidToken for a token
// not yet valid (nbf), issued in the future (iat), or with the wrong iss or aud.
[[nodiscard]] Result<void> ValidateClaims(const ClaimsView& claims, const ClaimsPolicy& policy,
                                          TimePoint now);

}  // namespace sesame::jose
