#include "app/build_info.h"

// Defined for this file only (src/app/CMakeLists.txt), so a new commit recompiles one unit.
#ifndef SESAME_VERSION
#define SESAME_VERSION "unknown"
#endif
#ifndef SESAME_COMMIT
#define SESAME_COMMIT "unknown"
#endif

namespace sesame::app {

std::string_view BuildVersion() {
  return SESAME_VERSION;
}

std::string_view BuildCommit() {
  return SESAME_COMMIT;
}

}  // namespace sesame::app
