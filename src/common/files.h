#pragma once

// Whole-file reads and atomic writes (write a temporary file, fsync, rename), so a crash never
// leaves a half-written key or config file. Thread-safe (no shared state).

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret_bytes.h"

namespace sesame {

// kIoError with the path and the OS reason.
[[nodiscard]] Result<std::string> ReadFile(const std::string& path);

// Reads a file that holds secrets (private keys) straight into SecretBytes, so no copy of it is
// left in a std::string or in memory freed by a growing buffer.
[[nodiscard]] Result<SecretBytes> ReadSecretFile(const std::string& path);

// Replaces path with contents, created with the given mode (0600 for private keys).
[[nodiscard]] Result<void> WriteFileAtomically(const std::string& path, std::string_view contents,
                                               mode_t mode);

}  // namespace sesame
