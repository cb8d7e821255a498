#pragma once

// What every subcommand shares: the global options and where its output goes (streams, so tests
// can capture them), and the exit codes of API.md's command line.

#include <iosfwd>
#include <string>

namespace sesame::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the thing checked failed (a token did not verify)
inline constexpr int kExitUsage = 2;   // usage or I/O error

struct CliContext {
  std::string data_dir = "./var";
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;
  int exit_code = kExitOk;
};

}  // namespace sesame::cli
