#pragma once

// Whole-file reads and atomic writes (write a temporary file, fsync, rename), so a crash never
// leaves a half-written key or config file. Thread-safe (no shared state).

#include <string>
#include <string_view>
#include <sys/types.h>

#include "common/result.h"

namespace sesame {

// kIoError with the path and the OS reason.
[[nodiscard]] Result<std::string> ReadFile(const std::string& path);

// Replaces path with contents, created with the given mode (0600 for private keys).
[[nodiscard]] Result<void> WriteFileAtomically(const std::string& path, std::string_view contents,
                                               mode_t mode);

}  // namespace sesame
