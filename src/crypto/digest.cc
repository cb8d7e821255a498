#include "crypto/digest.h"

#include <cstdlib>

#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/fetched_digest.h"

namespace sesame::crypto {

std::string Digest(HashAlg hash, std::string_view data) {
  std::string out(DigestSize(hash), '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 FetchedDigest(hash), nullptr) != 1) {
    std::abort();  // hashing in-memory bytes cannot fail unless the library is broken
  }
  return out;
}

std::array<uint8_t, 32> Sha256(std::string_view data) {
  std::array<uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

}  // namespace sesame::crypto

namespace sesame::crypto {

const EVP_MD* FetchedDigest(HashAlg hash) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  const EVP_MD* md = hash == HashAlg::kSha256 ? sha256 : hash == HashAlg::kSha384 ? sha384 : sha512;
  if (md == nullptr) {
    std::abort();  // no SHA-2 in the default provider: nothing in sesame can work
  }
  return md;
}

}  // namespace sesame::crypto
