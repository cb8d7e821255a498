// GET /healthz (alive), /readyz (stores reachable), /metrics (Prometheus text format).

#include <string>

#include <nlohmann/json.hpp>

#include "http/error_response.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"

namespace sesame::http {

void AddOpsRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/healthz",
             [](Request&) -> Reply { return Response::Json(200, R"({"status":"ok"})"); });
  router.Add(Method::kGet, "/readyz", [&context](Request&) -> Reply {
    return Deferred{&context.store_pool, [&context] {
                      if (context.check_ready) {
                        if (auto ready = context.check_ready(); !ready) {
                          Error error = ready.error();
                          error.retry_after_seconds = 5;
                          Response r = ErrorResponse(error);
                          // Say why: an operator reads this, and it names no secret.
                          r.body = Dump({{"error", "unavailable"},
                                         {"message", "A store is unreachable: " + error.detail}});
                          return r;
                        }
                      }
                      return Response::Json(200, R"({"status":"ready"})");
                    }};
  });
  router.Add(Method::kGet, "/metrics", [&context](Request&) -> Reply {
    return Deferred{&context.store_pool, [&context] {
                      std::string out;
                      out.reserve(16 * 1024);
                      if (context.metrics != nullptr) {
                        context.metrics->Render(out);
                      }
                      if (context.render_metrics) {
                        context.render_metrics(out);
                      }
                      Response r;
                      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                      r.body = std::move(out);
                      return r;
                    }};
  });
}

}  // namespace sesame::http
