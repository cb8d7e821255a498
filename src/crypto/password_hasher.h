#pragma once

// argon2id password hashing (libsodium's crypto_pwhash_str*), in the PHC string format
// ("$argon2id$v=19$m=...,t=...,p=1$salt$hash") that carries its own parameters, so hashes made
// with old parameters keep verifying and NeedsRehash() tells a login to upgrade them.
// Each Hash or Verify costs tens of milliseconds and mem_limit bytes of memory: call it on the
// worker pool, never on an io thread. Immutable; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sesame::crypto {

struct Argon2Params {
  // OWASP Password Storage Cheat Sheet minimum for argon2id: m = 19 MiB, t = 2, p = 1.
  uint64_t ops_limit = 2;
  size_t mem_limit_bytes = size_t{19} * 1024 * 1024;
};

class PasswordHasher {
 public:
  // kInvalidConfig if the parameters are below what libsodium accepts.
  [[nodiscard]] static Result<PasswordHasher> Create(Argon2Params params);

  const Argon2Params& params() const { return params_; }

  [[nodiscard]] Result<std::string> Hash(std::string_view password) const;
  // True if password matches; false if not. kInternal if encoded_hash is not an argon2id hash
  // (a corrupt record, which must not read as "wrong password").
  [[nodiscard]] Result<bool> Verify(std::string_view encoded_hash, std::string_view password) const;
  // True if encoded_hash was made with other parameters than ours (or is not argon2id).
  bool NeedsRehash(std::string_view encoded_hash) const;

 private:
  explicit PasswordHasher(Argon2Params params) : params_(params) {}

  Argon2Params params_;
};

}  // namespace sesame::crypto
