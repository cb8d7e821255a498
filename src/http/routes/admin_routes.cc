// /v1/admin/...: users (list, create, change), their sessions, force logout, audit events.
// Every route needs role "admin" (403 forbidden otherwise).

#include <charconv>
#include <string>

#include <nlohmann/json.hpp>

#include "common/secret_bytes.h"
#include "http/body.h"
#include "http/error_response.h"
#include "http/request_auth.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"

namespace sesame::http {
namespace {

constexpr FieldSpec kCreateFields[] = {{"username", FieldType::kString, true},
                                       {"password", FieldType::kString, true},
                                       {"roles", FieldType::kStringList}};
constexpr FieldSpec kPatchFields[] = {{"disabled", FieldType::kBool},
                                      {"roles", FieldType::kStringList},
                                      {"password", FieldType::kString}};

size_t LimitParam(const Request& request, size_t fallback, size_t max) {
  auto text = request.QueryParam("limit");
  if (!text) {
    return fallback;
  }
  size_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n == 0) {
    return fallback;
  }
  return std::min(n, max);
}

// An admin route: authenticated, role admin, then `work` on a worker pool.
using AdminWork = std::function<Response(Request&, const auth::Actor&)>;
Handler Admin(const RouteContext& context, WorkerPool* pool, AdminWork work) {
  return Authed(
      context,
      [&context, pool, work = std::move(work)](Request& request, const Caller& caller) -> Reply {
        if (!caller.session().HasRole("admin")) {
          return ErrorResponse(Error{ErrorCode::kForbidden, {}},
                               caller.credential.kind == Credential::Kind::kBearer);
        }
        auth::Actor actor{caller.session().user_id, std::string(request.remote_ip)};
        const bool bearer = caller.credential.kind == Credential::Kind::kBearer;
        return Deferred{pool, [&context, &request, &work, actor, bearer] {
                          // A change to accounts is authorised by the roles the caller holds now,
                          // not by those an access token was issued with.
                          if (IsUnsafe(request.method)) {
                            auto admin = context.accounts.HasCurrentRole(actor.user_id, "admin");
                            if (!admin) {
                              return ErrorResponse(admin.error(), bearer);
                            }
                            if (!*admin) {
                              return ErrorResponse(Error{ErrorCode::kForbidden, {}}, bearer);
                            }
                          }
                          return work(request, actor);
                        }};
      });
}

Response UserOr404(Result<std::optional<store::User>> user) {
  if (!user) {
    return ErrorResponse(user.error());
  }
  if (!*user) {
    return ErrorResponse(Error{ErrorCode::kNotFound, {}});
  }
  return Response::Json(200, Dump({{"user", UserJson(**user)}}));
}

Response SessionsOf(const RouteContext& context, const std::string& user_id) {
  auto user = context.accounts.FindById(user_id);
  if (!user) {
    return ErrorResponse(user.error());
  }
  if (!*user) {
    return ErrorResponse(Error{ErrorCode::kNotFound, {}});
  }
  auto sessions = context.sessions.ListLive(user_id);
  if (!sessions) {
    return ErrorResponse(sessions.error());
  }
  nlohmann::json list = nlohmann::json::array();
  for (const store::Session& s : *sessions) {
    list.push_back(SessionJson(s, {}));
  }
  return Response::Json(200, Dump({{"sessions", list}}));
}

}  // namespace

void AddAdminRoutes(Router& router, const RouteContext& context) {
  WorkerPool* store_pool = &context.store_pool;
  WorkerPool* cpu_pool = &context.cpu_pool;
  router.Add(Method::kGet, "/v1/admin/users",
             Admin(context, store_pool, [&context](Request& request, const auth::Actor&) {
               const std::string search = request.QueryParam("search").value_or("");
               auto users = context.accounts.List(search, LimitParam(request, 100, 1000));
               if (!users) {
                 return ErrorResponse(users.error());
               }
               nlohmann::json list = nlohmann::json::array();
               for (const store::User& u : *users) {
                 list.push_back(UserJson(u));
               }
               return Response::Json(200, Dump({{"users", list}}));
             }));
  router.Add(Method::kPost, "/v1/admin/users",
             Admin(context, cpu_pool, [&context](Request& request, const auth::Actor& actor) {
               auto fields = ParseBody(request, kCreateFields, /*allow_form=*/false);
               if (!fields) {
                 return ErrorResponse(fields.error());
               }
               const auto* roles = fields->List("roles");
               auto user = context.accounts.CreateUser(
                   *fields->String("username"), *fields->String("password"),
                   roles ? *roles : std::vector<std::string>{}, actor);
               auto& password = fields->strings["password"];
               SecureWipe(password.data(), password.size());
               if (!user) {
                 return ErrorResponse(user.error());
               }
               return Response::Json(201, Dump({{"user", UserJson(*user)}}));
             }));
  router.Add(Method::kGet, "/v1/admin/users/{id}",
             Admin(context, store_pool, [&context](Request& request, const auth::Actor&) {
               return UserOr404(context.accounts.FindById(request.params[0]));
             }));
  // Runs on the cpu pool: a password change hashes with argon2id.
  router.Add(Method::kPatch, "/v1/admin/users/{id}",
             Admin(context, cpu_pool, [&context](Request& request, const auth::Actor& actor) {
               auto fields = ParseBody(request, kPatchFields, /*allow_form=*/false);
               if (!fields) {
                 return ErrorResponse(fields.error());
               }
               const std::string user_id(request.params[0]);
               auto user = context.accounts.FindById(user_id);
               if (!user || !*user) {
                 return UserOr404(std::move(user));
               }
               Result<void> done;
               if (auto roles = fields->List("roles"); roles && done) {
                 done = context.accounts.SetRoles(user_id, *roles, actor);
               }
               if (auto password = fields->String("password"); password && done) {
                 done = context.accounts.SetPassword(user_id, *password, actor);
                 auto& stored = fields->strings["password"];
                 SecureWipe(stored.data(), stored.size());
               }
               if (auto disabled = fields->Bool("disabled"); disabled && done) {
                 done = context.accounts.SetDisabled(user_id, *disabled, actor);
               }
               if (!done) {
                 return ErrorResponse(done.error());
               }
               return UserOr404(context.accounts.FindById(user_id));
             }));
  router.Add(Method::kGet, "/v1/admin/users/{id}/sessions",
             Admin(context, store_pool, [&context](Request& request, const auth::Actor&) {
               return SessionsOf(context, std::string(request.params[0]));
             }));
  router.Add(Method::kDelete, "/v1/admin/users/{id}/sessions",
             Admin(context, store_pool, [&context](Request& request, const auth::Actor& actor) {
               const std::string user_id(request.params[0]);
               auto user = context.accounts.FindById(user_id);
               if (!user || !*user) {
                 return UserOr404(std::move(user));
               }
               auto revoked = context.sessions.RevokeAll(user_id, "admin", actor);
               if (!revoked) {
                 return ErrorResponse(revoked.error());
               }
               return Response::NoContent();
             }));
  router.Add(Method::kDelete, "/v1/admin/sessions/{id}",
             Admin(context, store_pool, [&context](Request& request, const auth::Actor& actor) {
               const std::string session_id(request.params[0]);
               auto found = context.sessions.Find(session_id);
               if (!found) {
                 return ErrorResponse(found.error());
               }
               if (!*found || (*found)->IsRevoked()) {
                 return ErrorResponse(Error{ErrorCode::kNotFound, {}});
               }
               auto revoked = context.sessions.Revoke(session_id, "admin", actor);
               if (!revoked) {
                 return ErrorResponse(revoked.error());
               }
               return Response::NoContent();
             }));
  router.Add(Method::kGet, "/v1/admin/audit",
             Admin(context, store_pool, [&context](Request& request, const auth::Actor&) {
               const std::string user_id = request.QueryParam("user_id").value_or("");
               auto events = context.audit_log.Recent(user_id, LimitParam(request, 100, 1000));
               if (!events) {
                 return ErrorResponse(events.error());
               }
               nlohmann::json list = nlohmann::json::array();
               for (const store::AuditEvent& e : *events) {
                 list.push_back(AuditEventJson(e));
               }
               return Response::Json(200, Dump({{"events", list}}));
             }));
}

}  // namespace sesame::http
