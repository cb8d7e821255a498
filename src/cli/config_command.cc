#include "cli/config_command.h"

#include <ostream>

namespace sesame::cli {

void AddConfigCommand(CLI::App& app, CliContext& context) {
  CLI::App* config = app.add_subcommand("config", "Inspect the configuration");
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand(
      "check",
      "Print the effective configuration (file, SESAME_* environment, flags), "
      "secrets redacted; exit 2 with the error that would stop the server");
  check->callback([&context] {
    auto loaded = LoadCliConfig(context);
    if (!loaded) {
      *context.err << ErrorCodeName(loaded.error().code) << ": " << loaded.error().detail << "\n";
      context.exit_code = kExitUsage;
      return;
    }
    *context.out << config::RenderConfig(*loaded);
  });
}

}  // namespace sesame::cli
