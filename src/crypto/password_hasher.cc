#include "crypto/password_hasher.h"

#include <array>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace sesame::crypto {

namespace {
constexpr std::string_view kArgon2idPrefix = "$argon2id$";
}  // namespace

Result<PasswordHasher> PasswordHasher::Create(Argon2Params params) {
  EnsureSodium();
  if (params.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return MakeError(ErrorCode::kInvalidConfig, "argon2id iterations must be at least 1");
  }
  if (params.mem_limit_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params.mem_limit_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return MakeError(ErrorCode::kInvalidConfig, "argon2id memory must be at least 8 KiB");
  }
  return PasswordHasher(params);
}

Result<std::string> PasswordHasher::Hash(std::string_view password) const {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), params_.ops_limit,
                            params_.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return MakeError(ErrorCode::kUnavailable, "argon2id could not allocate its memory");
  }
  return std::string(out.data());
}

Result<bool> PasswordHasher::Verify(std::string_view encoded_hash,
                                    std::string_view password) const {
  if (!encoded_hash.starts_with(kArgon2idPrefix) || encoded_hash.size() >= crypto_pwhash_STRBYTES) {
    return MakeError(ErrorCode::kInternal, "stored password hash is not an argon2id hash");
  }
  // crypto_pwhash_str_verify wants a NUL-terminated string; the hash is public data.
  std::array<char, crypto_pwhash_STRBYTES> stored{};
  std::memcpy(stored.data(), encoded_hash.data(), encoded_hash.size());
  return crypto_pwhash_str_verify(stored.data(), password.data(), password.size()) == 0;
}

bool PasswordHasher::NeedsRehash(std::string_view encoded_hash) const {
  if (!encoded_hash.starts_with(kArgon2idPrefix) || encoded_hash.size() >= crypto_pwhash_STRBYTES) {
    return true;
  }
  std::array<char, crypto_pwhash_STRBYTES> stored{};
  std::memcpy(stored.data(), encoded_hash.data(), encoded_hash.size());
  // 0: same parameters; 1: different; -1: not a valid argon2id string.
  return crypto_pwhash_str_needs_rehash(stored.data(), params_.ops_limit,
                                        params_.mem_limit_bytes) != 0;
}

}  // namespace sesame::crypto
