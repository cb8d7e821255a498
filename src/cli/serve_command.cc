#include "cli/serve_command.h"

#include <ostream>

#include "app/server_app.h"

namespace sesame::cli {

void AddServeCommand(CLI::App& app, CliContext& context) {
  auto* serve = app.add_subcommand("serve", "Run the authentication server");
  auto listen = std::make_shared<std::string>();
  serve->add_option("--listen", *listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve->callback([&context, listen] {
    std::map<std::string, std::string> overrides;
    if (!listen->empty()) {
      overrides["server.listen"] = *listen;
    }
    auto config = LoadCliConfig(context, overrides);
    if (!config) {
      *context.err << ErrorCodeName(config.error().code) << ": " << config.error().detail << "\n";
      context.exit_code = kExitUsage;
      return;
    }
    if (auto served = app::Serve(*config, app::ServeOptions{}); !served) {
      *context.err << ErrorCodeName(served.error().code) << ": " << served.error().detail << "\n";
      context.exit_code = kExitUsage;
    }
  });
}

}  // namespace sesame::cli
