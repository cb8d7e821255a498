#include "cli/cli_app.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"
#include "cli/config_command.h"
#include "cli/keys_command.h"
#include "cli/serve_command.h"
#include "cli/token_command.h"
#include "cli/user_command.h"

namespace sesame::cli {

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           std::istream& in, const std::map<std::string, std::string>& environment) {
  CliContext context;
  context.environment = environment;
  context.out = &out;
  context.err = &err;
  context.in = &in;

  CLI::App app("sesame: sessions and JWTs, both done right, in one authentication server",
               "sesame");
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `sesame keys list --data-dir DIR`.
  app.fallthrough();
  app.add_option("--config", context.config_file,
                 "TOML configuration file (default ./sesame.toml if present)");
  app.add_option("--data-dir", context.data_dir,
                 "Data directory (default: server.data_dir of the configuration, ./var)");

  AddServeCommand(app, context);
  AddUserCommand(app, context);
  AddSessionCommand(app, context);
  AddKeysCommand(app, context);
  AddTokenCommand(app, context);
  AddConfigCommand(app, context);

  // CLI11 wants the arguments last-first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::Success& e) {  // --help and --help-all
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    app.exit(e, out, err);
    return kExitUsage;
  }
  return context.exit_code;
}

}  // namespace sesame::cli
