#include "cli/cli_context.h"

#include <ostream>

#include "app/node.h"

namespace sesame::cli {

Result<config::Config> LoadCliConfig(const CliContext& context,
                                     const std::map<std::string, std::string>& overrides) {
  config::ConfigSources sources;
  sources.file = context.config_file;
  sources.file_is_explicit = !context.config_file.empty();
  sources.environment = context.environment;
  if (!context.data_dir.empty()) {
    sources.overrides["server.data_dir"] = context.data_dir;
  }
  for (const auto& [key, value] : overrides) {
    sources.overrides[key] = value;
  }
  return config::LoadConfig(sources);
}

std::optional<std::string> KeyRingFile(CliContext& context) {
  auto config = LoadCliConfig(context);
  if (!config) {
    *context.err << ErrorCodeName(config.error().code) << ": " << config.error().detail << "\n";
    context.exit_code = kExitUsage;
    return std::nullopt;
  }
  return app::KeyRingPath(*config);
}

}  // namespace sesame::cli
