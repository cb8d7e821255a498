#pragma once

// SHA-2 digests used by JOSE (RS256 = SHA-256, ...) and for storing secrets as hashes.
// Pure functions; thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sesame::crypto {

enum class HashAlg { kSha256, kSha384, kSha512 };

constexpr size_t DigestSize(HashAlg hash) {
  switch (hash) {
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
    case HashAlg::kSha512:
      return 64;
  }
  return 0;
}

// The raw digest bytes.
std::string Digest(HashAlg hash, std::string_view data);

// SHA-256 without allocating (libsodium): for hashing secrets on the request path.
std::array<uint8_t, 32> Sha256(std::string_view data);

}  // namespace sesame::crypto
