#pragma once

// Authenticates a service calling the endpoints made for services (RFC 7662 introspection,
// RFC 7009 revocation, the revocation feed) with an API key from oauth.clients: HTTP Basic
// (client id = the name, password = the key; RFC 6749 §2.3.1) or Authorization: Bearer <key>.
// Keys are compared by their SHA-256, in constant time, against every configured client.
// Pure function; thread-safe.

#include "common/result.h"
#include "http/request.h"
#include "http/route_context.h"

namespace sesame::http {

// The client the request's credentials name. kMissingCredentials without an Authorization
// header; kInvalidCredentials for a malformed header, another scheme or an unknown key. The
// returned pointer points into `policy`.
[[nodiscard]] Result<const ApiClient*> AuthenticateClient(const Request& request,
                                                          const HttpPolicy& policy);

}  // namespace sesame::http
