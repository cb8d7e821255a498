#pragma once

// libsodium must be initialised once before use; every crypto/*.cc that calls it calls
// EnsureSodium() first. Thread-safe; aborts if libsodium cannot start (no CSPRNG).

namespace sesame::crypto {

void EnsureSodium();

}  // namespace sesame::crypto
