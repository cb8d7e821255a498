#include "crypto/hmac_key.h"

#include <array>
#include <cstdlib>

#include <openssl/evp.h>

#include "crypto/fetched_digest.h"
#include "crypto/openssl_handles.h"

namespace sesame::crypto {

struct HmacKey::Impl {
  HashAlg hash;
  SecretBytes secret;
  // Digest states after absorbing (key ^ ipad) and (key ^ opad): RFC 2104. Only ever read (as
  // the source of EVP_MD_CTX_copy_ex), so concurrent use from many threads is safe.
  MdCtxPtr inner;
  MdCtxPtr outer;
};

namespace {

constexpr size_t BlockSize(HashAlg hash) {
  return hash == HashAlg::kSha256 ? 64 : 128;
}

[[noreturn]] void CryptoFailure() {
  // Hashing in-memory bytes with a fetched digest fails only if the library is broken.
  std::abort();
}

MdCtxPtr PaddedKeyState(HashAlg hash, std::span<const uint8_t> key, uint8_t pad) {
  std::array<uint8_t, 128> block{};
  const size_t block_size = BlockSize(hash);
  for (size_t i = 0; i < block_size; ++i) {
    block[i] = static_cast<uint8_t>((i < key.size() ? key[i] : 0) ^ pad);
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), FetchedDigest(hash), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), block.data(), block_size) != 1) {
    CryptoFailure();
  }
  SecureWipe(block.data(), block.size());
  return ctx;
}

// One scratch context per thread, reused for every MAC: EVP_MD_CTX_copy_ex into it needs no
// new context object.
EVP_MD_CTX* ScratchContext() {
  thread_local MdCtxPtr scratch(EVP_MD_CTX_new());
  if (!scratch) {
    CryptoFailure();
  }
  return scratch.get();
}

}  // namespace

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
  std::string hashed;
  std::span<const uint8_t> key = secret.span();
  if (key.size() > BlockSize(hash)) {
    hashed = Digest(hash, secret.view());
    key = {reinterpret_cast<const uint8_t*>(hashed.data()), hashed.size()};
  }
  impl->inner = PaddedKeyState(hash, key, 0x36);
  impl->outer = PaddedKeyState(hash, key, 0x5c);
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
  EVP_MD_CTX* ctx = ScratchContext();
  std::array<uint8_t, kMaxMacSize> inner_digest;
  unsigned int len = 0;
  if (EVP_MD_CTX_copy_ex(ctx, impl_->inner.get()) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, inner_digest.data(), &len) != 1 ||
      EVP_MD_CTX_copy_ex(ctx, impl_->outer.get()) != 1 ||
      EVP_DigestUpdate(ctx, inner_digest.data(), size) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1) {
    CryptoFailure();
  }
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
