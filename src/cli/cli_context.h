#pragma once

// What every subcommand shares: the global options, the environment, where its output goes
// (streams, so tests can capture them), and the exit codes of API.md's command line.

#include <iosfwd>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace sesame::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the thing checked failed (a token did not verify)
inline constexpr int kExitUsage = 2;   // usage, configuration or I/O error

struct CliContext {
  std::string config_file;  // --config; empty: ./sesame.toml if present
  std::string data_dir;     // --data-dir; empty: server.data_dir of the configuration
  std::map<std::string, std::string> environment;  // SESAME_* variables
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;
  int exit_code = kExitOk;
};

// The effective configuration: file, then SESAME_* environment, then command-line flags.
// `overrides` are more command-line flags by key ("server.listen"), winning over everything.
[[nodiscard]] Result<config::Config> LoadCliConfig(
    const CliContext& context, const std::map<std::string, std::string>& overrides = {});

// The key ring file of the effective configuration (jwt.keys_file or the data directory's);
// on a configuration error, reports it and returns nullopt.
std::optional<std::string> KeyRingFile(CliContext& context);

}  // namespace sesame::cli
