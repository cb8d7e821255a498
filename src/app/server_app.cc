#include "app/server_app.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <utility>

#include "app/build_info.h"
#include "app/maintenance.h"
#include "app/metrics_listener.h"
#include "app/node.h"
#include "auth/access_tokens.h"
#include "auth/key_publisher.h"
#include "auth/revocation_feed.h"
#include "auth/skeleton_backfill.h"
#include "auth/username.h"
#include "http/access_log.h"
#include "http/metrics.h"
#include "http/request_auth.h"
#include "http/route_context.h"
#include "http/router.h"
#include "http/routes/routes.h"
#include "http/scrape_pacer.h"
#include "http/server.h"
#include "http/signal_watch.h"
#include "http/worker_pool.h"
#include "jose/algorithm.h"
#include "store/redis/redis_store.h"

namespace sesame::app {
namespace {

// Hands the domain's fire-and-forget work (last-seen writes) to the store pool.
class PoolBackground final : public auth::Background {
 public:
  void Attach(http::WorkerPool* pool) { pool_ = pool; }
  bool TryPost(std::function<void()> task) override {
    return pool_ != nullptr && pool_->TryPost(std::move(task));
  }

 private:
  http::WorkerPool* pool_ = nullptr;
};

bool IsLoopbackHost(std::string_view listen) {
  return listen.starts_with("127.") || listen.starts_with("localhost:") ||
         listen.starts_with("[::1]:");
}

// iss of access tokens: jwt.issuer, else the public URL's origin, else "sesame".
std::string Issuer(const config::Config& config) {
  if (!config.jwt.issuer.empty()) {
    return config.jwt.issuer;
  }
  const std::string origin = http::OriginOf(config.server.public_url);
  return origin.empty() ? "sesame" : origin;
}

size_t Cores() {
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

// Once per start. Usernames go through PrintableUsername: names from before the rules may hold
// bidi controls, which would reorder the log line on an operator's terminal. A later lookalike
// keeps no skeleton for good, so it would be reported at every start: disabling it is how an
// operator settles it, and a disabled account is reported no more.
void LogSkeletonBackfill(const auth::SkeletonBackfillReport& report) {
  if (report.filled > 0) {
    spdlog::info("gave {} existing account(s) the confusable skeleton of their username",
                 report.filled);
  }
  for (const auth::SkeletonCollision& collision : report.collisions) {
    if (collision.account.is_disabled) {
      continue;
    }
    spdlog::warn(
        "usernames that look alike: account '{}' ({}) has the confusable skeleton (UTS #39) of "
        "the older account '{}' ({}); both are kept as they are. Disable the later one if it "
        "impersonates the other (a disabled one is not reported).",
        auth::PrintableUsername(collision.account.username), collision.account.id,
        auth::PrintableUsername(collision.holder.username), collision.holder.id);
  }
  for (const store::User& user : report.outdated_keys) {
    if (user.is_disabled) {
      continue;
    }
    spdlog::warn(
        "account '{}' ({}) was named under earlier username rules (before NFKC; with full-width "
        "or invisible characters): it is kept as it is, but logging in by that name no longer "
        "finds it",
        auth::PrintableUsername(user.username), user.id);
  }
}

}  // namespace

bool CookiesAreSecure(const config::Config& config) {
  if (config.cookie.secure == "true") {
    return true;
  }
  if (config.cookie.secure == "false") {
    return false;
  }
  if (!config.server.tls_cert.empty() || config.server.public_url.starts_with("https://")) {
    return true;
  }
  const bool plain_public_url =
      config.server.public_url.empty() || config.server.public_url.starts_with("http://");
  return !(plain_public_url && IsLoopbackHost(config.server.listen));
}

Result<void> Serve(const config::Config& config, const ServeOptions& options) {
  // Operational messages go to stderr; stdout carries only the access log.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sesame"));
  if (!config.server.tls_cert.empty() || !config.server.tls_key.empty()) {
    return MakeError(ErrorCode::kInvalidConfig,
                     "server.tls_cert: TLS is not built into this version; terminate TLS at a "
                     "reverse proxy and set server.public_url to its https:// address");
  }
  const size_t cores = Cores();
  const size_t io_threads =
      config.server.io_threads > 0 ? static_cast<size_t>(config.server.io_threads) : cores;
  // argon2id threads: one per core, but never more than fit in 1 GiB of hashing memory.
  const size_t by_memory = std::max<size_t>(
      1, (size_t{1} << 30) / static_cast<size_t>(config.password.argon2_memory_bytes));
  const size_t cpu_threads = config.server.workers > 0 ? static_cast<size_t>(config.server.workers)
                                                       : std::min(cores, by_memory);

  PoolBackground background;
  auto opened = Node::Open(config, NodeOptions{true, &background, nullptr});
  if (!opened) {
    return tl::unexpected(opened.error());
  }
  Node& node = **opened;
  LogSkeletonBackfill(node.skeleton_backfill());

  // The signing key ring: created on first start, reloaded when `sesame keys rotate` changes it.
  const auto alg = jose::ParseAlgorithm(config.jwt.algorithm);
  if (!alg) {
    return MakeError(ErrorCode::kInvalidConfig, "jwt.algorithm: unknown algorithm");
  }
  auth::AccessTokenPolicy access_policy;
  access_policy.issuer = Issuer(config);
  access_policy.audience = config.jwt.audience.empty() ? "sesame" : config.jwt.audience;
  access_policy.ttl = config.jwt.access_ttl;
  access_policy.leeway = config.jwt.leeway;
  auto keys = auth::KeyPublisher::Open(KeyRingPath(config), *alg, TokenHorizon(config),
                                       auth::AccessClaimsPolicy(access_policy), node.clock());
  if (!keys) {
    return tl::unexpected(keys.error());
  }
  auth::AccessTokens access_tokens(**keys, node.revocations(), node.clock(), access_policy);
  if (node.redis_store() != nullptr) {
    node.sessions().SetCacheTrusted(false);  // see SessionService::SetCacheTrusted
  }
  // Revocations made while this node was down (or by the command line) reach its tokens: the
  // change feed's cursor is set first, so nothing falls between the rebuild and the feed.
  if (auto synced = node.sessions().Resynchronize(TokenHorizon(config)); !synced) {
    return tl::unexpected(synced.error());
  }
  // GET /v1/revocations: the same change feed, for services that verify access JWTs themselves.
  auth::RevocationFeed revocation_feed(node.session_store(), node.clock(), TokenHorizon(config));
  revocation_feed.Advance(node.sessions().change_cursor());

  // Queues are short on purpose: a login flood beyond them is answered 503 at once.
  http::WorkerPool cpu_pool("sesame-argon2", cpu_threads, 32 * cpu_threads, /*nice=*/19);
  http::WorkerPool store_pool("sesame-store", 4, 4096);
  // Long-polls of the revocation feed block a thread each while they wait: 64 held, 64 queued,
  // then 503 at once.
  http::WorkerPool feed_pool("sesame-feed", 64, 128);
  // /metrics: one scrape at a time, at most 20 a second (http/scrape_pacer.h); 64 may wait.
  http::WorkerPool metrics_pool("sesame-metrics", 1, 64, /*nice=*/19);
  http::ScrapePacer scrape_pacer(std::chrono::milliseconds(50));
  background.Attach(&store_pool);

  http::HttpPolicy policy;
  policy.cookie.secure = CookiesAreSecure(config);
  policy.cookie.same_site = config.cookie.same_site == "strict" ? "Strict" : "Lax";
  policy.session_cookie_name = http::SessionCookieName(policy.cookie);
  policy.public_origin = http::OriginOf(config.server.public_url);
  policy.allowed_origins = config.server.allowed_origins;
  policy.default_mode =
      config.auth.default_mode == "jwt" ? store::SessionMode::kJwt : store::SessionMode::kSession;
  policy.default_transport = config.auth.default_transport == "header" ? store::Transport::kHeader
                                                                       : store::Transport::kCookie;
  policy.registration_open = config.auth.registration == "open";
  policy.forward_auth_csrf =
      config.auth.forward_auth_csrf == "token" ? http::ForwardAuthCsrf::kToken
      : config.auth.forward_auth_csrf == "off" ? http::ForwardAuthCsrf::kOff
                                               : http::ForwardAuthCsrf::kOrigin;
  for (const std::string& entry : config.oauth.clients) {
    auto client = config::ParseApiClient(entry);  // validated with the configuration
    if (client) {
      policy.api_clients.push_back(http::ApiClient{client->name, client->key_hash});
    }
  }
  policy.refresh_cookie_name = http::RefreshCookieName(policy.cookie);
  policy.device_cookie_name = http::DeviceCookieName(policy.cookie);

  http::RouteContext context{policy,
                             node.login(),
                             node.sessions(),
                             node.accounts(),
                             node.audit_log(),
                             node.counters(),
                             node.clock(),
                             cpu_pool,
                             store_pool,
                             nullptr,
                             keys->get(),
                             &access_tokens,
                             &node.refresh(),
                             {},
                             {}};
  context.revocation_feed = &revocation_feed;
  context.feed_pool = &feed_pool;
  context.metrics_on_main_listener = config.server.metrics_listen.empty();
  context.metrics_pool = &metrics_pool;
  context.scrape_pacer = &scrape_pacer;
  auto metrics_token = LoadMetricsToken(config.server.metrics_token);
  if (!metrics_token) {
    return tl::unexpected(metrics_token.error());
  }
  context.metrics_token_hash = *metrics_token;
  http::Router router;
  http::AddAllRoutes(router, context);
  http::Metrics metrics(router.RouteNames());
  context.metrics = &metrics;
  context.check_ready = [&node] { return node.CheckReady(); };
  http::AccessLog access_log(config.server.access_log);

  http::ServerOptions server_options;
  server_options.listen = config.server.listen;
  server_options.io_threads = io_threads;
  server_options.max_connections = static_cast<size_t>(config.server.max_connections);
  server_options.trusted_proxies = config.server.trusted_proxies;
  http::Server server(server_options, router, metrics, access_log);

  context.render_metrics = [&node, &cpu_pool, &store_pool, &feed_pool, &server,
                            &access_tokens](std::string& out) {
    const auth::AuthCounters& c = node.counters();
    auto n = [](const std::atomic<uint64_t>& a) {
      return static_cast<double>(a.load(std::memory_order_relaxed));
    };
    http::AppendFamily(out, "sesame_logins_total", "counter", "Login attempts by outcome.",
                       {{"result=\"success\"", n(c.logins_succeeded)},
                        {"result=\"failure\"", n(c.logins_failed)},
                        {"result=\"rate_limited\"", n(c.logins_rate_limited)}});
    http::AppendFamily(out, "sesame_sessions_created_total", "counter", "Sessions created.",
                       {{"", n(c.sessions_created)}});
    http::AppendFamily(out, "sesame_refreshes_total", "counter",
                       "Refresh token uses by outcome (theft: reuse detected, session revoked).",
                       {{"result=\"ok\"", n(c.refreshes_ok)},
                        {"result=\"race\"", n(c.refreshes_race)},
                        {"result=\"theft\"", n(c.refreshes_theft)}});
    http::AppendFamily(out, "sesame_revocation_set_entries", "gauge",
                       "Revoked sessions and users whose access tokens may still be within exp.",
                       {{"", static_cast<double>(node.revocations().size())}});
    http::AppendFamily(out, "sesame_verified_token_cache_entries", "gauge",
                       "Access tokens in the verified-token cache.",
                       {{"", static_cast<double>(access_tokens.cached())}});
    http::AppendFamily(out, "sesame_revocations_total", "counter",
                       "Sessions revoked (logout, admin, disable, eviction).",
                       {{"", n(c.sessions_revoked)}});
    http::AppendFamily(out, "sesame_sessions_evicted_total", "counter",
                       "Sessions evicted by the device limit.", {{"", n(c.sessions_evicted)}});
    http::AppendFamily(out, "sesame_session_cache_lookups_total", "counter",
                       "Session cache lookups on the verify path.",
                       {{"result=\"hit\"", n(c.session_cache_hits)},
                        {"result=\"miss\"", n(c.session_cache_misses)}});
    http::AppendFamily(out, "sesame_audit_write_failures_total", "counter",
                       "Audit events that could not be written.",
                       {{"", static_cast<double>(node.audit().failed_writes())}});
    http::AppendFamily(
        out, "sesame_sessions_active", "gauge",
        "Live sessions in the store, counted once a minute (-1 before the first count).",
        {{"", static_cast<double>(c.sessions_active.load(std::memory_order_relaxed))}});
    http::AppendFamily(out, "sesame_build_info", "gauge", "The running build.",
                       {{"version=\"" + std::string(BuildVersion()) + "\",commit=\"" +
                             std::string(BuildCommit()) + "\"",
                         1.0}});
    http::AppendFamily(out, "sesame_worker_queue_depth", "gauge",
                       "Tasks queued or running per pool.",
                       {{"pool=\"argon2\"", static_cast<double>(cpu_pool.in_flight())},
                        {"pool=\"store\"", static_cast<double>(store_pool.in_flight())},
                        {"pool=\"feed\"", static_cast<double>(feed_pool.in_flight())}});
    http::AppendFamily(out, "sesame_http_connections", "gauge", "Open client connections.",
                       {{"", static_cast<double>(server.active_connections())}});
  };

  auto port = server.Listen();
  if (!port) {
    return tl::unexpected(port.error());
  }
  std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  spdlog::info("sesame listening on http://{}:{} (io threads {}, argon2id workers {}, data {})",
               host, *port, io_threads, cpu_threads, config.server.data_dir);
  if (!policy.cookie.secure) {
    spdlog::info("cookies without Secure: plain http on loopback (development)");
  }
  if (!IsLoopbackHost(config.server.listen) && config.server.trusted_proxies.empty()) {
    // API.md "TLS": serving plain http to the network is a mistake unless a proxy in front
    // terminates TLS, and then the proxy must be trusted or every client is the proxy.
    spdlog::warn(
        "listening on {} over plain http with no server.trusted_proxies: terminate TLS at a "
        "proxy and list it in server.trusted_proxies, or every client shares its address",
        config.server.listen);
  }
  if (auto users = node.accounts().Count(); users && *users == 0) {
    // There is no default account and never a default password: say how to make the first.
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    spdlog::warn(
        "no users yet. Create the first admin (it asks for a password) with:\n    {} user add "
        "admin --role admin --data-dir {}",
        ec ? std::string("sesame") : self.string(), config.server.data_dir);
  }
  std::unique_ptr<MetricsListener> metrics_listener;
  if (!config.server.metrics_listen.empty()) {
    auto started = MetricsListener::Start(config.server.metrics_listen, context, access_log);
    if (!started) {
      return tl::unexpected(started.error());
    }
    metrics_listener = std::move(*started);
    spdlog::info("metrics on http://{}:{}/metrics",
                 config.server.metrics_listen.substr(0, config.server.metrics_listen.rfind(':')),
                 metrics_listener->port());
  }
  if (options.on_listening) {
    options.on_listening(*port);
  }
  {
    // A signal releases held long-polls at once, before the server drains in-flight requests
    // (the server sees the same signal; Stop() here also covers one that arrives before Run()).
    http::SignalWatch signal_watch([&revocation_feed, &server] {
      revocation_feed.Stop();
      server.Stop();
    });
    Maintenance maintenance(node, **keys, revocation_feed, config.audit.retention);
    // Several nodes: another node's revocation reaches this one's revocation set (access
    // JWTs) through Redis pub/sub in milliseconds; after every (re)subscription the node
    // reloads what it may have missed. Session secrets are checked in Redis on every request
    // (no local cache), so a logout anywhere holds everywhere at the next request.
    std::unique_ptr<store::RedisSubscriber> subscriber;
    if (store::RedisStore* redis = node.redis_store()) {
      subscriber = std::make_unique<store::RedisSubscriber>(
          redis->endpoint(), redis->channel(),
          [&maintenance](std::string_view) { maintenance.Poke(); },
          [&maintenance] { maintenance.Resync(); },
          [] { spdlog::warn("lost the session store's change subscription; reconnecting"); });
    }
    server.Run();
    metrics_listener.reset();
    spdlog::info("shutting down: draining worker pools");
  }
  revocation_feed.Stop();
  feed_pool.Stop();
  metrics_pool.Stop();
  cpu_pool.Stop();
  store_pool.Stop();
  access_log.Flush();
  spdlog::info("sesame stopped");
  return {};
}

}  // namespace sesame::app
