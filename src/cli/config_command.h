#pragma once

// `sesame config check`: prints the effective configuration (file, environment, flags) as TOML
// with passwords redacted, or the one-line error that would stop the server.

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace sesame::cli {

void AddConfigCommand(CLI::App& app, CliContext& context);

}  // namespace sesame::cli
