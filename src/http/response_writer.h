#pragma once

// Serialises a Response as an HTTP/1.1 message into a caller-owned buffer (reused per
// connection, so steady state allocates nothing). Written by hand instead of Beast's
// serializer, which dominated the profile of the verify path. Pure function; thread-safe.

#include <string>

#include "http/response.h"

namespace sesame::http {

// `version` is 10 or 11 (from the request). With keep_alive false the message says
// "Connection: close"; an HTTP/1.0 keep-alive says "Connection: keep-alive".
void SerializeResponse(const Response& response, unsigned version, bool keep_alive,
                       std::string& out);

std::string_view ReasonPhrase(int status);

}  // namespace sesame::http
