#pragma once

// `sesame keys generate --alg ALG [--out FILE]` and `sesame keys list`.
// The data directory's key store (keys.json: a JWKS with private keys, mode 0600) is read by
// `keys list` and by `token verify` without --jwks.

#include <string>

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace sesame::cli {

void AddKeysCommand(CLI::App& app, CliContext& context);

// Where the key store lives inside a data directory.
std::string KeyStorePath(const std::string& data_dir);

}  // namespace sesame::cli
