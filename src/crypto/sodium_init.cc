#include "crypto/sodium_init.h"

#include <cstdlib>
#include <mutex>

#include <sodium.h>

namespace sesame::crypto {

void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      std::abort();
    }
  });
}

}  // namespace sesame::crypto
