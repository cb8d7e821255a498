#pragma once

// The whole command line as a function, so tests can run it in-process with their own streams.

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace sesame::cli {

// Runs `sesame args...` (args excludes the program name) with the given SESAME_* environment
// and returns the exit code.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           std::istream& in, const std::map<std::string, std::string>& environment = {});

}  // namespace sesame::cli
