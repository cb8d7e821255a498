#include "auth/ids.h"

#include <array>
#include <cstdint>

#include "common/base64url.h"
#include "crypto/random.h"

namespace sesame::auth {
namespace {

std::string NewId(const char* prefix) {
  std::array<uint8_t, 16> bytes{};
  crypto::FillRandom(bytes);
  return prefix + Base64UrlEncode(bytes);
}

}  // namespace

std::string NewUserId() {
  return NewId("u_");
}

std::string NewSessionId() {
  return NewId("s_");
}

}  // namespace sesame::auth
