#pragma once

// `sesame serve [--listen HOST:PORT]`: runs the server until SIGINT/SIGTERM.

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace sesame::cli {

void AddServeCommand(CLI::App& app, CliContext& context);

}  // namespace sesame::cli
