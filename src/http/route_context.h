#pragma once

// What the routes share: the domain services, the worker pools and the HTTP-level policy
// (cookie attributes, origins, defaults). Built by app/, read-only while serving; every
// referenced object must outlive the router.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/access_tokens.h"
#include "auth/account_service.h"
#include "auth/auth_counters.h"
#include "auth/key_publisher.h"
#include "auth/login_service.h"
#include "auth/refresh_service.h"
#include "auth/revocation_feed.h"
#include "auth/session_service.h"
#include "common/clock.h"
#include "common/result.h"
#include "http/cookies.h"
#include "http/metrics.h"
#include "http/scrape_pacer.h"
#include "http/worker_pool.h"
#include "store/audit_log.h"

namespace sesame::http {

// A service allowed to introspect and revoke tokens (RFC 7662, RFC 7009).
struct ApiClient {
  std::string name;
  std::string key_hash;  // base64url SHA-256 of its API key
};

// auth.forward_auth_csrf: what GET /v1/auth/verify demands of a cookie-authenticated request
// whose original method (as the proxy reports it) is unsafe.
enum class ForwardAuthCsrf { kOrigin, kToken, kOff };

struct HttpPolicy {
  CookiePolicy cookie;
  // The session cookie carries the client's credential: the session secret in session mode,
  // the access JWT in jwt mode. The refresh cookie is sent only to the refresh path.
  std::string session_cookie_name;
  std::string refresh_cookie_name;
  std::string device_cookie_name;
  // The server's own origin ("https://auth.example.com") from server.public_url; when empty,
  // the origin is taken from the Host header and the connection's scheme.
  std::string public_origin;
  std::vector<std::string> allowed_origins;
  store::SessionMode default_mode = store::SessionMode::kSession;
  store::Transport default_transport = store::Transport::kCookie;
  bool registration_open = false;
  ForwardAuthCsrf forward_auth_csrf = ForwardAuthCsrf::kOrigin;
  std::vector<ApiClient> api_clients;
};

struct RouteContext {
  HttpPolicy policy;
  auth::LoginService& login;
  auth::SessionService& sessions;
  auth::AccountService& accounts;
  store::AuditLog& audit_log;
  auth::AuthCounters& counters;
  const Clock& clock;
  WorkerPool& cpu_pool;    // argon2id
  WorkerPool& store_pool;  // blocking store calls
  Metrics* metrics = nullptr;
  const auth::KeyPublisher* keys = nullptr;  // the JWKS; null: not served
  // jwt mode (both null when it is not available).
  auth::AccessTokens* access_tokens = nullptr;
  auth::RefreshService* refresh = nullptr;
  // Store reachability for /readyz (blocking; runs on the store pool).
  std::function<Result<void>()> check_ready;
  // Extra metric families for /metrics: counters and gauges only, never a store call (a scrape
  // is O(1) and runs on the io thread).
  std::function<void(std::string&)> render_metrics;
  // /metrics is served on the main listener unless server.metrics_listen gives it one of its
  // own. With a token (server.metrics_token) it needs `Authorization: Bearer <token>`, which
  // also shows /readyz's detail to callers that are not on loopback.
  bool metrics_on_main_listener = true;
  // Where scrapes run, one at a time at the pacer's pace (both null: inline on the io thread).
  WorkerPool* metrics_pool = nullptr;
  ScrapePacer* scrape_pacer = nullptr;
  std::optional<auth::SecretHash> metrics_token_hash = std::nullopt;
  // GET /v1/revocations (both null: not served): what wakes its long-polls, and the pool they
  // block on, apart from the store pool so that held requests never starve store calls.
  auth::RevocationFeed* revocation_feed = nullptr;
  WorkerPool* feed_pool = nullptr;
};

}  // namespace sesame::http
