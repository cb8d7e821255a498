#include "store/session_store.h"

namespace sesame::store {

std::string_view SessionModeName(SessionMode mode) {
  return mode == SessionMode::kJwt ? "jwt" : "session";
}

std::string_view TransportName(Transport transport) {
  return transport == Transport::kHeader ? "header" : "cookie";
}

std::optional<SessionMode> ParseSessionMode(std::string_view name) {
  if (name == "session") {
    return SessionMode::kSession;
  }
  if (name == "jwt") {
    return SessionMode::kJwt;
  }
  return std::nullopt;
}

std::optional<Transport> ParseTransport(std::string_view name) {
  if (name == "cookie") {
    return Transport::kCookie;
  }
  if (name == "header") {
    return Transport::kHeader;
  }
  return std::nullopt;
}

}  // namespace sesame::store
