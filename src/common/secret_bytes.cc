#include "common/secret_bytes.h"

#include <openssl/crypto.h>

namespace sesame {

// OpenSSL's CRYPTO_memcmp and OPENSSL_cleanse are written (in assembly on x86-64) so that the
// compiler can neither short-circuit the compare nor drop the wipe as a dead store.
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return ConstantTimeEquals(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(a.data()), a.size()),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
}

void SecureWipe(void* data, size_t size) {
  if (size != 0) {
    OPENSSL_cleanse(data, size);
  }
}

SecretBytes::SecretBytes(std::span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes::SecretBytes(std::string_view bytes)
    : bytes_(reinterpret_cast<const uint8_t*>(bytes.data()),
             reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size()) {}

SecretBytes::SecretBytes(size_t size) : bytes_(size, 0) {}

SecretBytes::~SecretBytes() {
  Wipe();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

void SecretBytes::Wipe() {
  SecureWipe(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace sesame
