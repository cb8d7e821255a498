#pragma once

// Public ids: a prefix naming the kind ("u_" user, "s_" session) and 128 random bits,
// base64url. Safe to show and log. Thread-safe.

#include <string>

namespace sesame::auth {

std::string NewUserId();
std::string NewSessionId();

}  // namespace sesame::auth
