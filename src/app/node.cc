#include "app/node.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "store/postgres/postgres_store.h"
#include "store/redis/redis_store.h"
#include "store/sqlite/sqlite_store.h"

namespace sesame::app {

auth::SessionPolicy SessionPolicyFrom(const config::Config& config) {
  auth::SessionPolicy policy;
  policy.idle_timeout = config.session.idle_timeout;
  policy.absolute_timeout = config.session.absolute_timeout;
  policy.remember_timeout = std::max(config.session.remember_timeout, policy.absolute_timeout);
  policy.device_limit.max_per_user = static_cast<size_t>(config.session.max_per_user);
  policy.device_limit.on_limit =
      config.session.on_limit == "refuse" ? store::OnLimit::kRefuse : store::OnLimit::kEvictOldest;
  return policy;
}

std::string KeyRingPath(const config::Config& config) {
  return config.jwt.keys_file.empty() ? config.server.data_dir + "/keys.json"
                                      : config.jwt.keys_file;
}

Seconds TokenHorizon(const config::Config& config) {
  return config.jwt.access_ttl + config.jwt.leeway;
}

Node::~Node() = default;

namespace {

// The store objects behind the interfaces: SQLite for what is not configured elsewhere,
// PostgreSQL for users and audit, Redis for sessions, rate counters and the change feed.
struct Backends {
  std::unique_ptr<store::SqliteStore> sqlite;
  std::unique_ptr<store::PostgresStore> postgres;
  std::unique_ptr<store::RedisStore> redis;
};

}  // namespace

Result<std::unique_ptr<Node>> Node::Open(const config::Config& config, NodeOptions options) {
  const bool users_in_postgres = config.store.users != "sqlite";
  const bool sessions_in_redis = config.store.sessions != "sqlite";
  std::unique_ptr<Node> node(new Node(config));
  if (options.clock != nullptr) {
    node->clock_ = options.clock;
  }
  const std::filesystem::path data_dir(config.server.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIoError,
                     "server.data_dir: cannot create " + data_dir.string() + ": " + ec.message());
  }
  ::chmod(data_dir.c_str(), 0700);

  auto backends = std::make_shared<Backends>();
  if (!users_in_postgres || !sessions_in_redis) {
    auto sqlite = store::SqliteStore::Open(data_dir / "sesame.db", store::SqliteOptions{});
    if (!sqlite) {
      return tl::unexpected(sqlite.error());
    }
    backends->sqlite = std::move(*sqlite);
    node->users_ = backends->sqlite.get();
    node->audit_log_ = backends->sqlite.get();
    node->sessions_store_ = backends->sqlite.get();
    node->rates_ = backends->sqlite.get();
  }
  if (users_in_postgres) {
    auto postgres = store::PostgresStore::Open(config.store.users, store::PostgresOptions{});
    if (!postgres) {
      Error error = postgres.error();
      error.detail = "store.users: " + error.detail;
      return tl::unexpected(error);
    }
    backends->postgres = std::move(*postgres);
    node->users_ = backends->postgres.get();
    node->audit_log_ = backends->postgres.get();
  }
  if (sessions_in_redis) {
    store::RedisOptions redis_options;
    // Revoked and expired records stay as long as PurgeSessions keeps them (see the server's
    // maintenance): a day, or an access token's life if longer.
    redis_options.retention = std::max(Seconds(86400), TokenHorizon(config) + Seconds(60));
    auto redis = store::RedisStore::Open(config.store.sessions, redis_options);
    if (!redis) {
      Error error = redis.error();
      error.detail = "store.sessions: " + error.detail;
      return tl::unexpected(error);
    }
    backends->redis = std::move(*redis);
    node->redis_ = backends->redis.get();
    node->sessions_store_ = backends->redis.get();
    node->rates_ = backends->redis.get();
  }
  node->backend_ = backends;

  // Before any service can create an account: a lookalike of an account from before skeletons
  // must not slip in while that account has none.
  auto backfill = auth::BackfillUsernameSkeletons(*node->users_);
  if (!backfill) {
    Error error = backfill.error();
    error.detail = "username skeletons: " + error.detail;
    return tl::unexpected(error);
  }
  node->skeleton_backfill_ = std::move(*backfill);

  crypto::Argon2Params params;
  params.ops_limit = static_cast<uint64_t>(config.password.argon2_iterations);
  params.mem_limit_bytes = static_cast<size_t>(config.password.argon2_memory_bytes);
  auto hasher = crypto::PasswordHasher::Create(params);
  if (!hasher) {
    return tl::unexpected(hasher.error());
  }
  node->hasher_ = std::make_unique<crypto::PasswordHasher>(*hasher);

  auth::Background* background =
      options.background != nullptr ? options.background : &node->no_background_;
  node->audit_ = std::make_unique<auth::AuditTrail>(*node->audit_log_, *node->clock_);
  node->limiter_ = std::make_unique<auth::LoginLimiter>(
      *node->rates_,
      auth::RateLimit{config.limits.login_failures_per_user.count,
                      config.limits.login_failures_per_user.window},
      auth::RateLimit{config.limits.login_attempts_per_ip.count,
                      config.limits.login_attempts_per_ip.window},
      config.limits.login_backoff,
      auth::RateLimit{config.limits.login_failures_per_account.count,
                      config.limits.login_failures_per_account.window});
  node->device_epochs_ = std::make_unique<auth::DeviceEpochs>(*node->rates_);
  // jwt mode (the server): the key behind refresh and CSRF tokens, and the revocation set.
  auth::JwtSessions jwt;
  if (options.with_login) {
    auto secrets = auth::SessionSecrets::LoadOrCreate((data_dir / "session.key").string());
    if (!secrets) {
      return tl::unexpected(secrets.error());
    }
    node->secrets_ = std::make_unique<auth::SessionSecrets>(std::move(*secrets));
    node->revocations_ = std::make_unique<auth::RevocationSet>(TokenHorizon(config));
    jwt = auth::JwtSessions{node->secrets_.get(), node->revocations_.get(), config.jwt.refresh};
  }
  node->sessions_ = std::make_unique<auth::SessionService>(
      *node->sessions_store_, *node->users_, *node->audit_, *node->clock_,
      SessionPolicyFrom(config), *background, node->counters_, jwt, node->device_epochs_.get());
  node->accounts_ = std::make_unique<auth::AccountService>(
      *node->users_, *node->sessions_, *node->audit_, *node->hasher_, *node->clock_);
  if (options.with_login) {
    auto login = auth::LoginService::Create(
        *node->users_, *node->sessions_, *node->limiter_, *node->audit_, *node->hasher_,
        *node->clock_, node->counters_, &node->login_events_,
        auth::KnownDevices{node->secrets_.get(), node->device_epochs_.get()});
    if (!login) {
      return tl::unexpected(login.error());
    }
    node->login_ = std::move(*login);
    node->refresh_ = std::make_unique<auth::RefreshService>(
        *node->sessions_store_, *node->users_, *node->sessions_, *node->secrets_, *node->audit_,
        *node->clock_, auth::RefreshPolicy{config.jwt.refresh_ttl, config.jwt.refresh_grace},
        node->counters_);
  }
  return node;
}

Result<void> Node::CheckReady() {
  // Says which store, and why: /readyz shows it to operators (no secret: URLs are described
  // without credentials).
  if (auto users = users_->CountUsers(); !users) {
    Error error = users.error();
    error.detail = "users store: " + error.detail;
    return tl::unexpected(error);
  }
  if (auto seq = sessions_store_->LatestChangeSeq(); !seq) {
    Error error = seq.error();
    error.detail = "sessions store: " + error.detail;
    return tl::unexpected(error);
  }
  return {};
}

}  // namespace sesame::app
