#pragma once

// /metrics apart from the API (API.md "Operations"): on a listener of its own when
// server.metrics_listen is set, so a catch-all proxy in front of the API never publishes it,
// and behind a bearer token when server.metrics_token names a file holding one.
//
// MetricsListener serves only GET /metrics (and /healthz), with one io thread under
// SCHED_IDLE (below even the nice-19 argon2id workers), until it is destroyed. The route context
// and access log must outlive it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "auth/session_cache.h"
#include "common/result.h"
#include "http/access_log.h"
#include "http/metrics.h"
#include "http/route_context.h"
#include "http/router.h"
#include "http/server.h"

namespace sesame::app {

// The hash of the token in `path` (surrounding whitespace ignored); nullopt for an empty path.
// kInvalidConfig naming server.metrics_token for an unreadable or empty file.
[[nodiscard]] Result<std::optional<auth::SecretHash>> LoadMetricsToken(const std::string& path);

class MetricsListener {
 public:
  // Binds `listen` (HOST:PORT) and starts serving. kInvalidConfig or kIoError naming the key.
  [[nodiscard]] static Result<std::unique_ptr<MetricsListener>> Start(
      const std::string& listen, const http::RouteContext& context, http::AccessLog& access_log);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  uint16_t port() const { return port_; }

  MetricsListener(const std::string& listen, const http::RouteContext& context,
                  http::AccessLog& access_log);

 private:
  http::Router router_;
  std::unique_ptr<http::Metrics> metrics_;  // this listener's own requests, not rendered
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace sesame::app
