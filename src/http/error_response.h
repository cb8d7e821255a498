#pragma once

// The one mapping from an ErrorCode to an HTTP status and the contract's JSON error body
// (API.md "Conventions"). 401 answers to bearer credentials carry WWW-Authenticate (RFC 6750);
// 429 and 503 carry Retry-After. Pure functions; thread-safe.

#include "common/result.h"
#include "http/response.h"

namespace sesame::http {

int StatusFor(ErrorCode code);
// A short human sentence for the code (the error's detail goes to logs, not to clients,
// except for kInvalidRequest where it says which field is wrong).
Response ErrorResponse(const Error& error, bool bearer = false);

}  // namespace sesame::http
