// POST /v1/users: self-registration, only where auth.registration = "open".
// POST /v1/auth/password: the caller changes their own password (the other sessions end).

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

constexpr FieldSpec kRegisterFields[] = {{"username", FieldType::kString, true},
                                         {"password", FieldType::kString, true}};
constexpr FieldSpec kPasswordFields[] = {{"current_password", FieldType::kString, true},
                                         {"new_password", FieldType::kString, true}};

Reply ChangePassword(const RouteContext& context, Request& request, const Caller& caller) {
  const bool bearer = caller.credential.kind == Credential::Kind::kBearer;
  auto fields = ParseBody(request, kPasswordFields, /*allow_form=*/false);
  if (!fields) {
    return ErrorResponse(fields.error(), bearer);
  }
  const std::string ip(request.remote_ip);
  const std::string user_id = caller.session().user_id;
  const std::string session_id = caller.session().session_id;
  return Deferred{
      &context.cpu_pool,
      [&context, fields = std::move(*fields), ip, user_id, session_id, bearer]() mutable {
        auto changed =
            context.login.ChangePassword({user_id, session_id, *fields.String("current_password"),
                                          *fields.String("new_password"), ip});
        for (const char* name : {"current_password", "new_password"}) {
          auto& secret = fields.strings[name];
          SecureWipe(secret.data(), secret.size());
        }
        if (!changed) {
          return ErrorResponse(changed.error(), bearer);
        }
        Response r = Response::NoContent();
        r.session_id = session_id;
        return r;
      }};
}

}  // namespace

void AddAccountRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kPost, "/v1/users", [&context](Request& request) -> Reply {
    if (!context.policy.registration_open) {
      return ErrorResponse(Error{ErrorCode::kForbidden, "registration is closed"});
    }
    auto fields = ParseBody(request, kRegisterFields, /*allow_form=*/false);
    if (!fields) {
      return ErrorResponse(fields.error());
    }
    const std::string ip(request.remote_ip);
    return Deferred{&context.cpu_pool, [&context, fields = std::move(*fields), ip]() mutable {
                      if (auto admitted = context.login.AdmitRegistration(ip); !admitted) {
                        return ErrorResponse(admitted.error());
                      }
                      auto user = context.accounts.CreateUser(*fields.String("username"),
                                                              *fields.String("password"), {},
                                                              auth::Actor{{}, ip});
                      auto& password = fields.strings["password"];
                      SecureWipe(password.data(), password.size());
                      if (!user) {
                        return ErrorResponse(user.error());
                      }
                      return Response::Json(201, Dump({{"user", UserJson(*user)}}));
                    }};
  });
  router.Add(Method::kPost, "/v1/auth/password",
             Authed(context, [&context](Request& request, const Caller& caller) {
               return ChangePassword(context, request, caller);
             }));
}

}  // namespace sesame::http
