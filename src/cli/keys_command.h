#pragma once

// `sesame keys generate --alg ALG [--out FILE]` and `sesame keys list`.
// The data directory's key store (keys.json: a JWKS with private keys, mode 0600) is read by
// `keys list` and by `token verify` without --jwks.

#include <string>

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace sesame::cli {

void AddKeysCommand(CLI::App& app, CliContext& context);

}  // namespace sesame::cli
