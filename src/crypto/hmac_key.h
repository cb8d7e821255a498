#pragma once

// An HMAC-SHA2 key with its key schedule computed once: the inner and outer padded-key digest
// states are kept, so each MAC costs the hashing of the message and nothing else.
// Immutable after creation; share freely across threads (copies share the state).

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/result.h"
#include "common/secret_bytes.h"
#include "crypto/digest.h"

namespace sesame::crypto {

class HmacKey {
 public:
  static constexpr size_t kMaxMacSize = 64;

  // Refuses secrets shorter than the hash output (RFC 7518 §3.2): kInvalidKey.
  [[nodiscard]] static Result<HmacKey> Create(HashAlg hash, SecretBytes secret);

  HashAlg hash() const;
  size_t mac_size() const { return DigestSize(hash()); }
  const SecretBytes& secret() const;

  // Writes mac_size() bytes to out (which must hold them) and returns that size.
  size_t Sign(std::string_view data, std::span<uint8_t> out) const;
  // Compares in constant time; a MAC of the wrong length is false.
  bool Verify(std::string_view data, std::span<const uint8_t> mac) const;

 private:
  struct Impl;
  explicit HmacKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;
};

}  // namespace sesame::crypto
