#pragma once

// `sesame token decode JWT`, `sesame token sign --key JWKFILE --claims JSON` and
// `sesame token verify [--jwks FILE] [--iss I] [--aud A] JWT`, as API.md specifies them.
// A JWT argument of "-" is read from standard input, so tokens stay out of shell history.

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace sesame::cli {

void AddTokenCommand(CLI::App& app, CliContext& context);

}  // namespace sesame::cli
