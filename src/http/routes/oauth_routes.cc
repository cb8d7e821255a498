// POST /v1/oauth/introspect (RFC 7662) and POST /v1/oauth/revoke (RFC 7009): the server's view
// of a token, and its revocation, for services. Callers authenticate with an API key from
// oauth.clients: HTTP Basic (client id = the name, password = the key; RFC 6749 §2.3.1) or
// Authorization: Bearer <key>. Keys are compared by their SHA-256, in constant time
// (http/routes/api_client_auth.h).
//
// A token is told apart by its shape: an access JWT (verified as on the verify path, revocation
// included), a refresh token (the current one of a live session; introspection is passive and
// never counts as a reuse), or a session token (as a session-mode request would be).

#include <string>

#include <nlohmann/json.hpp>

#include "auth/session_cache.h"
#include "http/body.h"
#include "http/error_response.h"
#include "http/request_auth.h"
#include "http/routes/api_client_auth.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"
#include "jose/jws.h"

namespace sesame::http {
namespace {

constexpr FieldSpec kTokenFields[] = {{"token", FieldType::kString, true},
                                      {"token_type_hint", FieldType::kString}};

enum class TokenShape { kAccess, kRefresh, kSession };

TokenShape ShapeOf(const RouteContext& context, std::string_view token) {
  if (token.find('.') == std::string_view::npos) {
    return TokenShape::kSession;
  }
  if (context.refresh != nullptr && context.refresh->SessionIdOf(token)) {
    return TokenShape::kRefresh;
  }
  return TokenShape::kAccess;
}

Response JsonNoStore(const nlohmann::json& body) {
  Response r = Response::Json(200, Dump(body));
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

// RFC 7009 §2.2: 200 with no body, whether or not the token was known.
Response Revoked() {
  Response r;
  r.status = 200;
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Response Inactive() {
  return JsonNoStore({{"active", false}});
}

// An active token's answer: what every kind shares (RFC 7662 §2.2 names, plus sid and roles).
nlohmann::json Active(std::string_view token_type, std::string_view sub, std::string_view username,
                      std::string_view sid, const std::vector<std::string>& roles, int64_t exp,
                      int64_t iat) {
  return {{"active", true}, {"token_type", token_type}, {"sub", sub}, {"username", username},
          {"sid", sid},     {"roles", roles},           {"exp", exp}, {"iat", iat}};
}

Response IntrospectAccess(const RouteContext& context, std::string_view token) {
  if (context.access_tokens == nullptr) {
    return Inactive();
  }
  auto claims = context.access_tokens->Inspect(token);
  if (!claims) {
    return Inactive();
  }
  nlohmann::json body = Active("access_token", claims->sub.value_or(""),
                               claims->preferred_username.value_or(""), claims->sid.value_or(""),
                               claims->roles, claims->exp.value_or(0), claims->iat.value_or(0));
  if (claims->nbf) {
    body["nbf"] = *claims->nbf;
  }
  if (claims->iss) {
    body["iss"] = *claims->iss;
  }
  if (claims->aud) {
    body["aud"] =
        claims->aud->size() == 1 ? nlohmann::json((*claims->aud)[0]) : nlohmann::json(*claims->aud);
  }
  if (claims->jti) {
    body["jti"] = *claims->jti;
  }
  return JsonNoStore(body);
}

Response IntrospectStateful(const RouteContext& context, const std::string& token,
                            TokenShape shape) {
  if (shape == TokenShape::kRefresh) {
    auto inspected = context.refresh->Inspect(token);
    if (!inspected) {
      return ErrorResponse(inspected.error());
    }
    if (!*inspected) {
      return Inactive();
    }
    const store::Session& s = (*inspected)->session;
    const store::User& u = (*inspected)->user;
    return JsonNoStore(Active("refresh_token", u.id, u.username, s.id, u.roles,
                              ToUnixSeconds((*inspected)->refresh_expires_at),
                              ToUnixSeconds(s.rotated_at.value_or(s.created_at))));
  }
  auto loaded = context.sessions.Load(token);
  if (!loaded) {
    return loaded.error().code == ErrorCode::kUnavailable ? ErrorResponse(loaded.error())
                                                          : Inactive();
  }
  const auth::CachedSession& s = *loaded->session;
  const TimePoint now = context.clock.Now();
  return JsonNoStore(Active("session_token", s.user_id, s.username, s.session_id, s.roles,
                            ToUnixSeconds(std::min(now + s.idle_timeout, s.absolute_expires_at)),
                            ToUnixSeconds(s.created_at)));
}

// The session a token belongs to, if it is one of ours and still alive; blocking.
Result<std::optional<std::string>> SessionOfToken(const RouteContext& context,
                                                  const std::string& token, TokenShape shape) {
  switch (shape) {
    case TokenShape::kAccess: {
      auto claims = context.access_tokens != nullptr
                        ? context.access_tokens->Inspect(token)
                        : Result<jose::Claims>(tl::unexpected(Error{ErrorCode::kInvalidToken, {}}));
      if (!claims) {
        return std::nullopt;
      }
      return claims->sid;
    }
    case TokenShape::kRefresh:
      return context.refresh->SessionIdOf(token);
    case TokenShape::kSession: {
      auto loaded = context.sessions.Load(token);
      if (!loaded) {
        if (loaded.error().code == ErrorCode::kUnavailable) {
          return tl::unexpected(loaded.error());
        }
        return std::nullopt;
      }
      return loaded->session->session_id;
    }
  }
  return std::nullopt;
}

Reply TokenEndpoint(const RouteContext& context, Request& request, bool revoke) {
  auto client = AuthenticateClient(request, context.policy);
  if (!client) {
    return ErrorResponse(client.error());
  }
  auto fields = ParseBody(request, kTokenFields, /*allow_form=*/true);
  if (!fields) {
    return ErrorResponse(fields.error());
  }
  std::string token(*fields->String("token"));
  if (token.empty() || token.size() > jose::kMaxTokenSize) {
    return revoke ? Revoked() : Inactive();
  }
  const TokenShape shape = ShapeOf(context, token);
  if (!revoke && shape == TokenShape::kAccess) {
    return IntrospectAccess(context, token);  // stateless: on the io thread
  }
  const std::string client_name = (*client)->name;
  const std::string ip(request.remote_ip);
  return Deferred{
      &context.store_pool,
      [&context, token = std::move(token), shape, revoke, client_name, ip]() -> Response {
        if (!revoke) {
          return IntrospectStateful(context, token, shape);
        }
        auto session_id = SessionOfToken(context, token, shape);
        if (!session_id) {
          return ErrorResponse(session_id.error());
        }
        if (*session_id) {
          // RFC 7009 §2.1: revoking a token may revoke its grant; here the grant
          // is the session, with every token it holds.
          auto revoked = context.sessions.Revoke(**session_id, "revoked_by_client:" + client_name,
                                                 auth::Actor{{}, ip});
          if (!revoked) {
            return ErrorResponse(revoked.error());
          }
        }
        return Revoked();
      }};
}

}  // namespace

void AddOAuthRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kPost, "/v1/oauth/introspect", [&context](Request& request) {
    return TokenEndpoint(context, request, /*revoke=*/false);
  });
  router.Add(Method::kPost, "/v1/oauth/revoke", [&context](Request& request) {
    return TokenEndpoint(context, request, /*revoke=*/true);
  });
}

}  // namespace sesame::http
