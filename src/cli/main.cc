// sesame: the command line. Subcommands live in cli/*_command.cc; this file only wires them.

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"
#include "cli/keys_command.h"
#include "cli/token_command.h"

int main(int argc, char** argv) {
  sesame::cli::CliContext context;
  context.out = &std::cout;
  context.err = &std::cerr;
  context.in = &std::cin;

  CLI::App app("sesame: sessions and JWTs, both done right, in one authentication server");
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `sesame keys list --data-dir DIR`.
  app.fallthrough();
  app.add_option("--data-dir", context.data_dir, "Data directory (default ./var)");

  sesame::cli::AddKeysCommand(app, context);
  sesame::cli::AddTokenCommand(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return sesame::cli::kExitUsage;
  }
  return context.exit_code;
}
