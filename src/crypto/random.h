#pragma once

// Randomness from the operating system's CSPRNG (getrandom(2), through libsodium). If the OS
// cannot give randomness the process aborts: going on without it would mint guessable secrets.
// Thread-safe.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/secret_bytes.h"

namespace sesame::crypto {

void FillRandom(std::span<uint8_t> out);
SecretBytes RandomSecret(size_t size);

// 256 random bits, base64url (43 characters): session secrets, refresh tokens, CSRF tokens.
std::string RandomToken();

}  // namespace sesame::crypto
