#include "http/router.h"

#include <gtest/gtest.h>

namespace sesame::http {
namespace {

Handler Answer(int status) {
  return [status](Request&) -> Reply {
    Response r;
    r.status = status;
    return r;
  };
}

int Call(const Router& router, Method method, std::string_view path, Request* out = nullptr) {
  Request request;
  request.method = method;
  request.path = path;
  auto match = router.Find(request);
  if (out != nullptr) {
    *out = request;
  }
  if (match.route == nullptr) {
    return match.path_matched ? 405 : 404;
  }
  return std::get<Response>(match.route->handler(request)).status;
}

TEST(Router, MatchesMethodAndPathWithParameters) {
  Router router;
  router.Add(Method::kGet, "/v1/sessions", Answer(200));
  router.Add(Method::kDelete, "/v1/sessions/{id}", Answer(204));
  router.Add(Method::kGet, "/v1/admin/users/{id}/sessions", Answer(201));
  EXPECT_EQ(Call(router, Method::kGet, "/v1/sessions"), 200);
  Request r;
  EXPECT_EQ(Call(router, Method::kDelete, "/v1/sessions/s_abc", &r), 204);
  EXPECT_EQ(r.params[0], "s_abc");
  EXPECT_EQ(Call(router, Method::kGet, "/v1/admin/users/u_1/sessions", &r), 201);
  EXPECT_EQ(r.params[0], "u_1");
  EXPECT_EQ(Call(router, Method::kPost, "/v1/sessions"), 405);
  for (const char* missing : {"/v1/sessions/", "/v1/sessions/a/b", "/v1/session", "", "v1/sessions",
                              "/v1/admin/users//sessions", "/v1/sessions//"}) {
    EXPECT_NE(Call(router, Method::kDelete, missing), 204) << missing;
    EXPECT_NE(Call(router, Method::kGet, missing), 201) << missing;
  }
  EXPECT_EQ(router.RouteNames().back(), "unmatched");
  EXPECT_EQ(router.RouteNames()[1], "DELETE /v1/sessions/{id}");
}

TEST(FormDecode, DecodesPlusAndPercentAndRejectsBadEscapes) {
  EXPECT_EQ(FormDecode("a+b%20c%2Fd"), "a b c/d");
  EXPECT_EQ(FormDecode("%"), std::nullopt);
  EXPECT_EQ(FormDecode("%4"), std::nullopt);
  EXPECT_EQ(FormDecode("%zz"), std::nullopt);
}

TEST(Request, QueryParamsAndHeadersAreCaseRight) {
  HeaderField fields[] = {{"Content-Type", "application/json"}, {"X-Csrf-Token", "t"}};
  Request r;
  r.headers = fields;
  r.query = "role=admin&x=1&role=other&e=a%2Cb";
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("X-CSRF-Token"), "t");
  EXPECT_EQ(r.Header("Origin"), "");
  EXPECT_EQ(r.QueryParam("role"), "admin");
  EXPECT_EQ(r.QueryParam("e"), "a,b");
  EXPECT_EQ(r.QueryParam("missing"), std::nullopt);
}

}  // namespace
}  // namespace sesame::http
