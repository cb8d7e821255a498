#include "app/node.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

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

Result<std::unique_ptr<Node>> Node::Open(const config::Config& config, NodeOptions options) {
  if (config.store.users != "sqlite" || config.store.sessions != "sqlite") {
    return MakeError(ErrorCode::kInvalidConfig,
                     "store.users/store.sessions: only \"sqlite\" is available in this version");
  }
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

  auto sqlite = store::SqliteStore::Open(data_dir / "sesame.db", store::SqliteOptions{});
  if (!sqlite) {
    return tl::unexpected(sqlite.error());
  }
  std::shared_ptr<store::SqliteStore> backend(std::move(*sqlite));
  node->users_ = backend.get();
  node->sessions_store_ = backend.get();
  node->rates_ = backend.get();
  node->audit_log_ = backend.get();
  node->backend_ = backend;

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
      config.limits.login_backoff);
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
      SessionPolicyFrom(config), *background, node->counters_, jwt);
  node->accounts_ = std::make_unique<auth::AccountService>(
      *node->users_, *node->sessions_, *node->audit_, *node->hasher_, *node->clock_);
  if (options.with_login) {
    auto login =
        auth::LoginService::Create(*node->users_, *node->sessions_, *node->limiter_, *node->audit_,
                                   *node->hasher_, *node->clock_, node->counters_);
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
  auto users = users_->CountUsers();
  if (!users) {
    return tl::unexpected(users.error());
  }
  auto seq = sessions_store_->LatestChangeSeq();
  if (!seq) {
    return tl::unexpected(seq.error());
  }
  return {};
}

}  // namespace sesame::app
