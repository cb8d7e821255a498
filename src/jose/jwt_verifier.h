#pragma once

// Verifies a compact JWT in full: size, structure, header rules, signature against the key set,
// payload as strict JSON, typ, and the claim rules of a ClaimsPolicy at a given time. This is the
// request hot path for access tokens: after warm-up it decodes into per-thread buffers, reuses
// parsed headers, allocates nothing in VerifyView and takes no lock. Revocation is not checked
// here (that needs server state).
// Immutable; thread-safe. The KeySet is shared and may be swapped by building a new verifier.

#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "jose/claims.h"
#include "jose/jws.h"
#include "jose/key_set.h"

namespace sesame::jose {

class JwtVerifier {
 public:
  JwtVerifier(std::shared_ptr<const KeySet> keys, ClaimsPolicy policy)
      : keys_(std::move(keys)), policy_(std::move(policy)) {}

  // kInvalidToken (with the reason) or kTokenExpired. The views in the result stay valid until
  // the next verification on this thread.
  [[nodiscard]] Result<ClaimsView> VerifyView(std::string_view token, TimePoint now) const;

  // The same with owned claims; if payload_json is given it receives the verified payload text.
  [[nodiscard]] Result<Claims> Verify(std::string_view token, TimePoint now,
                                      std::string* payload_json = nullptr) const;

  const KeySet& keys() const { return *keys_; }
  const ClaimsPolicy& policy() const { return policy_; }

 private:
  Result<ClaimsView> VerifyImpl(std::string_view token, TimePoint now,
                                std::string_view* payload) const;

  const std::shared_ptr<const KeySet> keys_;
  const ClaimsPolicy policy_;
};

// Signs claims_json (which must be one strict JSON object) as a compact JWT with key.
[[nodiscard]] Result<std::string> SignJwt(const Jwk& key, std::string_view claims_json,
                                          std::string_view typ = "JWT");

}  // namespace sesame::jose
