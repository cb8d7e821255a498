// GET /healthz (alive), /readyz (stores reachable), /metrics (Prometheus text format). A scrape
// is O(1): counters and gauges kept in memory, no store work (API.md "Operations"), one at a
// time at the scrape pacer's pace (http/scrape_pacer.h).

#include <string>

#include <nlohmann/json.hpp>

#include "common/ip_address.h"
#include "common/secret_bytes.h"
#include "http/error_response.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"

namespace sesame::http {
namespace {

// Whether the request carries the metrics token (compared by its hash, in constant time).
bool HasMetricsToken(const RouteContext& context, const Request& request) {
  if (!context.metrics_token_hash) {
    return false;
  }
  const std::string_view authorization = request.Header("Authorization");
  if (!authorization.starts_with("Bearer ")) {
    return false;
  }
  const auth::SecretHash presented = auth::HashSecret(authorization.substr(7));
  return ConstantTimeEquals(std::span<const uint8_t>(presented),
                            std::span<const uint8_t>(*context.metrics_token_hash));
}

// /readyz names the failing store and its address: for operators (a loopback caller or a
// holder of the metrics token), not for anyone who can reach the port.
bool MaySeeReadinessDetail(const RouteContext& context, const Request& request) {
  const auto client = IpAddress::Parse(request.remote_ip);
  return (client && client->IsLoopback()) || HasMetricsToken(context, request);
}

Response NotReady(const Error& error, bool detail) {
  Error answer = error;
  answer.retry_after_seconds = 5;
  Response r = ErrorResponse(answer);
  r.body = Dump({{"error", "unavailable"},
                 {"message",
                  detail ? "A store is unreachable: " + error.detail : std::string("Not ready.")}});
  return r;
}

Response MetricsResponse(const RouteContext& context) {
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
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace

void AddMetricsRoute(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/metrics", [&context](Request& request) -> Reply {
    if (context.metrics_token_hash && !HasMetricsToken(context, request)) {
      const bool sent = !request.Header("Authorization").empty();
      return ErrorResponse(
          Error{sent ? ErrorCode::kInvalidToken : ErrorCode::kMissingCredentials, {}},
          /*bearer=*/true);
    }
    if (context.metrics_pool == nullptr || context.scrape_pacer == nullptr) {
      return MetricsResponse(context);
    }
    return Deferred{context.metrics_pool, [&context] {
                      Response r = MetricsResponse(context);
                      context.scrape_pacer->Pace();
                      return r;
                    }};
  });
}

void AddOpsRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/healthz",
             [](Request&) -> Reply { return Response::Json(200, R"({"status":"ok"})"); });
  router.Add(Method::kGet, "/readyz", [&context](Request& request) -> Reply {
    const bool detail = MaySeeReadinessDetail(context, request);
    return Deferred{&context.store_pool, [&context, detail] {
                      if (context.check_ready) {
                        if (auto ready = context.check_ready(); !ready) {
                          return NotReady(ready.error(), detail);
                        }
                      }
                      return Response::Json(200, R"({"status":"ready"})");
                    }};
  });
  if (context.metrics_on_main_listener) {
    AddMetricsRoute(router, context);
  }
}

}  // namespace sesame::http
