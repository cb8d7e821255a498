// This file uses OpenSSL's low-level SHA-2 functions (SHA256_Init and friends), deprecated in
// OpenSSL 3 in favour of EVP. They are still the same assembly (SHA-NI, AVX2) behind EVP, but
// their state is a plain struct: the HMAC key schedule (the states after absorbing key^ipad and
// key^opad, RFC 2104) is computed once and copied per MAC, with no provider dispatch, context
// allocation or locking. That makes a MAC over an access token ~35% cheaper than EVP_MAC with a
// reused key (see docs/decisions/0003-hmac-midstates.md and bench/jose_bench.cc).
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/hmac_key.h"

#include <array>
#include <cstdlib>
#include <variant>

#include <openssl/sha.h>

namespace sesame::crypto {
namespace {

// One SHA-2 variant's state type and functions.
struct Sha256Ops {
  using State = SHA256_CTX;
  static constexpr size_t kBlock = 64;
  static void Init(State* s) { SHA256_Init(s); }
  static void Update(State* s, const void* d, size_t n) { SHA256_Update(s, d, n); }
  static void Final(uint8_t* out, State* s) { SHA256_Final(out, s); }
};
struct Sha384Ops {
  using State = SHA512_CTX;
  static constexpr size_t kBlock = 128;
  static void Init(State* s) { SHA384_Init(s); }
  static void Update(State* s, const void* d, size_t n) { SHA384_Update(s, d, n); }
  static void Final(uint8_t* out, State* s) { SHA384_Final(out, s); }
};
struct Sha512Ops {
  using State = SHA512_CTX;
  static constexpr size_t kBlock = 128;
  static void Init(State* s) { SHA512_Init(s); }
  static void Update(State* s, const void* d, size_t n) { SHA512_Update(s, d, n); }
  static void Final(uint8_t* out, State* s) { SHA512_Final(out, s); }
};

template <typename Ops>
struct Midstates {
  typename Ops::State inner;
  typename Ops::State outer;

  // key is at most one block long (longer keys are hashed first by the caller).
  explicit Midstates(std::span<const uint8_t> key) {
    std::array<uint8_t, Ops::kBlock> ipad{}, opad{};
    for (size_t i = 0; i < Ops::kBlock; ++i) {
      const uint8_t k = i < key.size() ? key[i] : 0;
      ipad[i] = k ^ 0x36;
      opad[i] = k ^ 0x5c;
    }
    Ops::Init(&inner);
    Ops::Update(&inner, ipad.data(), ipad.size());
    Ops::Init(&outer);
    Ops::Update(&outer, opad.data(), opad.size());
    SecureWipe(ipad.data(), ipad.size());
    SecureWipe(opad.data(), opad.size());
  }
  ~Midstates() {
    SecureWipe(&inner, sizeof(inner));
    SecureWipe(&outer, sizeof(outer));
  }
  Midstates(const Midstates&) = delete;
  Midstates& operator=(const Midstates&) = delete;

  void Mac(std::string_view data, uint8_t* out, size_t digest_size) const {
    typename Ops::State state = inner;
    Ops::Update(&state, data.data(), data.size());
    std::array<uint8_t, HmacKey::kMaxMacSize> inner_digest;
    Ops::Final(inner_digest.data(), &state);
    state = outer;
    Ops::Update(&state, inner_digest.data(), digest_size);
    Ops::Final(out, &state);
    // After Final the state holds only the digest, not the key-derived midstate.
  }
};

}  // namespace

struct HmacKey::Impl {
  HashAlg hash;
  SecretBytes secret;
  std::variant<std::monostate, Midstates<Sha256Ops>, Midstates<Sha384Ops>, Midstates<Sha512Ops>>
      midstates;
};

Result<HmacKey> HmacKey::Create(HashAlg hash, SecretBytes secret) {
  if (secret.size() < DigestSize(hash)) {
    return MakeError(ErrorCode::kInvalidKey, "HMAC secret has " + std::to_string(secret.size()) +
                                                 " bytes; at least " +
                                                 std::to_string(DigestSize(hash)) +
                                                 " random bytes are required for this algorithm");
  }
  auto impl = std::make_shared<Impl>();
  impl->hash = hash;
  // Keys longer than the block are hashed first (RFC 2104 §2).
  const size_t block = hash == HashAlg::kSha256 ? Sha256Ops::kBlock : Sha512Ops::kBlock;
  std::string hashed;
  std::span<const uint8_t> key = secret.span();
  if (key.size() > block) {
    hashed = Digest(hash, secret.view());
    key = {reinterpret_cast<const uint8_t*>(hashed.data()), hashed.size()};
  }
  switch (hash) {
    case HashAlg::kSha256:
      impl->midstates.emplace<Midstates<Sha256Ops>>(key);
      break;
    case HashAlg::kSha384:
      impl->midstates.emplace<Midstates<Sha384Ops>>(key);
      break;
    case HashAlg::kSha512:
      impl->midstates.emplace<Midstates<Sha512Ops>>(key);
      break;
  }
  SecureWipe(hashed.data(), hashed.size());
  impl->secret = std::move(secret);
  return HmacKey(std::move(impl));
}

HashAlg HmacKey::hash() const {
  return impl_->hash;
}

const SecretBytes& HmacKey::secret() const {
  return impl_->secret;
}

size_t HmacKey::Sign(std::string_view data, std::span<uint8_t> out) const {
  const size_t size = mac_size();
  if (out.size() < size) {
    std::abort();  // caller bug: the buffer contract is in the header
  }
  std::visit(
      [&](const auto& m) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, std::monostate>) {
          m.Mac(data, out.data(), size);
        }
      },
      impl_->midstates);
  return size;
}

bool HmacKey::Verify(std::string_view data, std::span<const uint8_t> mac) const {
  if (mac.size() != mac_size()) {
    return false;
  }
  std::array<uint8_t, kMaxMacSize> expected;
  const size_t size = Sign(data, expected);
  // Constant time: a timing difference here would let an attacker forge a MAC byte by byte.
  return ConstantTimeEquals(std::span<const uint8_t>(expected.data(), size), mac);
}

}  // namespace sesame::crypto
