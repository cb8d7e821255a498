#include "crypto/random.h"

#include <array>
#include <cstdlib>

#include <sodium.h>

#include "common/base64url.h"
#include "crypto/sodium_init.h"

namespace sesame::crypto {

void FillRandom(std::span<uint8_t> out) {
  EnsureSodium();
  randombytes_buf(out.data(), out.size());
}

SecretBytes RandomSecret(size_t size) {
  SecretBytes secret(size);
  FillRandom(secret.mutable_span());
  return secret;
}

std::string RandomToken() {
  std::array<uint8_t, 32> bytes;
  FillRandom(bytes);
  std::string token = Base64UrlEncode(bytes);
  SecureWipe(bytes.data(), bytes.size());
  return token;
}

}  // namespace sesame::crypto
