#pragma once

// The route table of API.md, grouped by area. Each Add* function registers its routes on the
// router; `context` must outlive the router.

#include "http/route_context.h"
#include "http/router.h"

namespace sesame::http {

void AddAuthRoutes(Router& router, const RouteContext& context);     // login, me, verify, ...
void AddTokenRoutes(Router& router, const RouteContext& context);    // refresh, oauth
void AddOAuthRoutes(Router& router, const RouteContext& context);    // introspect, revoke
void AddSessionRoutes(Router& router, const RouteContext& context);  // /v1/sessions
void AddAccountRoutes(Router& router, const RouteContext& context);  // /v1/users
void AddAdminRoutes(Router& router, const RouteContext& context);    // /v1/admin/...
void AddOpsRoutes(Router& router, const RouteContext& context);      // healthz, readyz, metrics
// GET /metrics alone: AddOpsRoutes adds it unless the context gives it a listener of its own.
void AddMetricsRoute(Router& router, const RouteContext& context);
void AddKeyRoutes(Router& router, const RouteContext& context);   // /.well-known/jwks.json
void AddPageRoutes(Router& router, const RouteContext& context);  // /login, /, /devices
void AddAdminPages(Router& router, const RouteContext& context);  // /admin...
// GET /v1/revocations: the revocation feed for services that verify access JWTs themselves.
void AddRevocationRoutes(Router& router, const RouteContext& context);

inline void AddAllRoutes(Router& router, const RouteContext& context) {
  AddAuthRoutes(router, context);  // first: /v1/auth/verify is the hot path
  AddTokenRoutes(router, context);
  AddOAuthRoutes(router, context);
  AddSessionRoutes(router, context);
  AddAccountRoutes(router, context);
  AddAdminRoutes(router, context);
  AddOpsRoutes(router, context);
  AddKeyRoutes(router, context);
  AddRevocationRoutes(router, context);
  AddPageRoutes(router, context);
  AddAdminPages(router, context);
}

}  // namespace sesame::http
