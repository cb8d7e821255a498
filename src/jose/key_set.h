#pragma once

// A JWK Set (RFC 7517 §5): the keys a verifier trusts, found by "kid". Immutable once built;
// share as std::shared_ptr<const KeySet> and swap whole on rotation.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "jose/jwk.h"

namespace sesame::jose {

class KeySet {
 public:
  KeySet() = default;
  // kInvalidKey if two keys share a kid.
  [[nodiscard]] static Result<KeySet> Create(std::vector<Jwk> keys);

  // Accepts {"keys":[...]} or a single JWK object. Keys marked "use":"enc" are skipped (they
  // belong to encryption, which sesame does not do); any other unusable key is an error.
  [[nodiscard]] static Result<KeySet> FromJson(std::string_view json);

  const std::vector<Jwk>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

  const Jwk* Find(std::string_view kid) const;
  // The only key for alg, or null if there are none or several (for tokens without "kid").
  const Jwk* FindOnly(Algorithm alg) const;

  // The same set without private halves; HMAC keys are left out (they cannot be published).
  KeySet PublicOnly() const;
  std::string ToJson(bool include_private) const;

 private:
  explicit KeySet(std::vector<Jwk> keys) : keys_(std::move(keys)) {}

  std::vector<Jwk> keys_;
};

}  // namespace sesame::jose
