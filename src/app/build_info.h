#pragma once

// What this binary is: the project version and the git commit it was built from (as CMake saw
// them when it configured the build; "unknown" outside a git checkout). For /metrics'
// sesame_build_info and the command line. Constants; thread-safe.

#include <string_view>

namespace sesame::app {

std::string_view BuildVersion();
std::string_view BuildCommit();

}  // namespace sesame::app
