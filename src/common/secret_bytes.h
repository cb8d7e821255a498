#pragma once

// SecretBytes holds key material and other secrets: move-only, wiped when destroyed or moved
// from, no stream operator, compared in constant time. ConstantTimeEquals is the one compare for
// secrets and their hashes anywhere in sesame. Thread-compatible (like std::vector).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sesame {

// True if a and b hold the same bytes. The time taken depends on the lengths only, never on
// where the first difference is.
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Overwrites memory in a way the compiler may not optimise away.
void SecureWipe(void* data, size_t size);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::span<const uint8_t> bytes);
  explicit SecretBytes(std::string_view bytes);
  explicit SecretBytes(size_t size);  // zero-filled, for filling in place
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // An explicit copy, so that duplicating a secret is visible in the code.
  SecretBytes Clone() const { return SecretBytes(span()); }

  std::span<const uint8_t> span() const { return {bytes_.data(), bytes_.size()}; }
  std::span<uint8_t> mutable_span() { return {bytes_.data(), bytes_.size()}; }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
    return ConstantTimeEquals(a.span(), b.span());
  }

 private:
  void Wipe();

  std::vector<uint8_t> bytes_;
};

}  // namespace sesame
