// POST /v1/users: self-registration, only where auth.registration = "open".

#include <string>

#include <nlohmann/json.hpp>

#include "common/secret_bytes.h"
#include "http/body.h"
#include "http/error_response.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"

namespace sesame::http {
namespace {

constexpr FieldSpec kRegisterFields[] = {{"username", FieldType::kString, true},
                                         {"password", FieldType::kString, true}};

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
}

}  // namespace sesame::http
