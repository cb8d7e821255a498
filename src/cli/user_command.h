#pragma once

// `sesame user add|list|disable|enable|passwd` and `sesame session list|revoke|revoke-all`:
// account and session administration on the data directory's store, safe while a server
// runs on it (the server sees revocations through the store's change feed within a second).

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace sesame::cli {

void AddUserCommand(CLI::App& app, CliContext& context);
void AddSessionCommand(CLI::App& app, CliContext& context);

}  // namespace sesame::cli
