// GET /.well-known/jwks.json: the public keys that may verify live access JWTs (RFC 7517),
// including the next key before it signs and retired keys until their last token expires.

#include <string>

#include "auth/key_ring.h"
#include "http/error_response.h"
#include "http/routes/routes.h"

namespace sesame::http {

void AddKeyRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/.well-known/jwks.json", [&context](Request&) -> Reply {
    if (context.keys == nullptr) {
      return ErrorResponse(Error{ErrorCode::kNotFound, {}});
    }
    auto snapshot = context.keys->current();
    Response r;
    r.content_type = "application/jwk-set+json";
    r.body = snapshot->jwks_json;
    // The next key is published at least this long before it signs (KeyRing::Rotate), so a
    // verifier that caches the set for this long never meets an unknown kid.
    r.AddHeader("Cache-Control",
                "public, max-age=" + std::to_string(auth::KeyRing::kJwksMaxAge.count()));
    return r;
  });
}

}  // namespace sesame::http
