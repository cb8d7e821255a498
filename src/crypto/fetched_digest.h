#pragma once

// Digest implementations fetched once per process. OpenSSL 3 looks algorithms up by name on
// every implicit fetch (EVP_sha256() inside an init call), which costs more than hashing a token;
// fetching once and reusing the EVP_MD keeps that off the hot path. Only crypto/*.cc use this.

#include <openssl/evp.h>

#include "crypto/digest.h"

namespace sesame::crypto {

// Never null; the objects live until the process exits. Thread-safe.
const EVP_MD* FetchedDigest(HashAlg hash);

}  // namespace sesame::crypto
