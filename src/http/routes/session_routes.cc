// GET /v1/sessions and DELETE /v1/sessions/{id}: the caller's own devices.

#include <string>

#include <nlohmann/json.hpp>

#include "http/error_response.h"
#include "http/request_auth.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"

namespace sesame::http {

void AddSessionRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/v1/sessions",
             Authed(context, [&context](Request&, const Caller& caller) -> Reply {
               const std::string user_id = caller.session().user_id;
               const std::string current = caller.session().session_id;
               const bool bearer = caller.credential.kind == Credential::Kind::kBearer;
               return Deferred{&context.store_pool, [&context, user_id, current, bearer] {
                                 auto sessions = context.sessions.ListLive(user_id);
                                 if (!sessions) {
                                   return ErrorResponse(sessions.error(), bearer);
                                 }
                                 nlohmann::json list = nlohmann::json::array();
                                 for (const store::Session& s : *sessions) {
                                   list.push_back(SessionJson(s, current));
                                 }
                                 Response r = Response::Json(200, Dump({{"sessions", list}}));
                                 r.AddHeader("Cache-Control", "no-store");
                                 return r;
                               }};
             }));
  router.Add(Method::kDelete, "/v1/sessions/{id}",
             Authed(context, [&context](Request& request, const Caller& caller) -> Reply {
               const std::string target(request.params[0]);
               const std::string user_id = caller.session().user_id;
               const std::string current = caller.session().session_id;
               const bool cookie = caller.credential.kind == Credential::Kind::kCookie;
               const std::string ip(request.remote_ip);
               return Deferred{
                   &context.store_pool, [&context, target, user_id, current, cookie, ip] {
                     auto found = context.sessions.Find(target);
                     if (!found) {
                       return ErrorResponse(found.error(), !cookie);
                     }
                     // Someone else's session answers exactly like a missing one.
                     if (!*found || (*found)->user_id != user_id || (*found)->IsRevoked()) {
                       return ErrorResponse(Error{ErrorCode::kNotFound, {}}, !cookie);
                     }
                     auto revoked =
                         context.sessions.Revoke(target, "revoked_by_user", auth::Actor{{}, ip});
                     if (!revoked) {
                       return ErrorResponse(revoked.error(), !cookie);
                     }
                     Response r = Response::NoContent();
                     if (cookie && target == current) {
                       ClearCredentialCookies(r, context.policy);
                     }
                     return r;
                   }};
             }));
}

}  // namespace sesame::http
