#pragma once

// One node's stores and domain services, built from the configuration. `sesame serve` runs
// the HTTP server on top of it; the user and session commands use the same services on the
// same data directory while a server runs (SQLite in WAL mode takes both), or on the same
// PostgreSQL and Redis as the servers (store.users, store.sessions).
// This is the only place that names a store backend. Thread-safe once built.

#include <unistd.h>

#include <memory>
#include <string>

#include "auth/account_service.h"
#include "auth/audit_trail.h"
#include "auth/auth_counters.h"
#include "auth/background.h"
#include "auth/device_epochs.h"
#include "auth/login_event_log.h"
#include "auth/login_limiter.h"
#include "auth/login_service.h"
#include "auth/refresh_service.h"
#include "auth/revocation_set.h"
#include "auth/session_secrets.h"
#include "auth/session_service.h"
#include "auth/skeleton_backfill.h"
#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"
#include "crypto/password_hasher.h"
#include "store/audit_log.h"
#include "store/rate_store.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::store {
class RedisStore;
}

namespace sesame::app {

struct NodeOptions {
  // The server's services: LoginService (makes a dummy argon2id hash at start) and jwt mode
  // (reads or makes the data directory's session.key). The command line needs neither.
  bool with_login = true;
  auth::Background* background = nullptr;  // null: none (the command line)
  const Clock* clock = nullptr;            // null: the system clock
};

class Node {
 public:
  // kInvalidConfig, kIoError (data directory), kUnavailable (store).
  [[nodiscard]] static Result<std::unique_ptr<Node>> Open(const config::Config& config,
                                                          NodeOptions options);
  ~Node();

  const config::Config& config() const { return config_; }
  const Clock& clock() const { return *clock_; }
  store::UserStore& users() { return *users_; }
  store::SessionStore& session_store() { return *sessions_store_; }
  store::RateStore& rates() { return *rates_; }
  store::AuditLog& audit_log() { return *audit_log_; }
  auth::AuthCounters& counters() { return counters_; }
  auth::AuditTrail& audit() { return *audit_; }
  auth::SessionService& sessions() { return *sessions_; }
  auth::AccountService& accounts() { return *accounts_; }
  auth::LoginService& login() { return *login_; }               // only with NodeOptions::with_login
  auth::RefreshService& refresh() { return *refresh_; }         // the same
  auth::RevocationSet& revocations() { return *revocations_; }  // the same
  const auth::SessionSecrets& secrets() const { return *secrets_; }  // the same
  const crypto::PasswordHasher& hasher() const { return *hasher_; }

  // The Redis session store when store.sessions names one (its change feed is pushed to the
  // other nodes over pub/sub), else null.
  store::RedisStore* redis_store() { return redis_; }

  // What the start-up back-fill of username skeletons did (auth/skeleton_backfill.h): Open
  // runs it for every caller, so the command line never creates a lookalike of an account
  // from before skeletons; the server logs it.
  const auth::SkeletonBackfillReport& skeleton_backfill() const { return skeleton_backfill_; }

  // Store reachability (for /readyz).
  [[nodiscard]] Result<void> CheckReady();

 private:
  explicit Node(config::Config config) : config_(std::move(config)) {}

  const config::Config config_;
  SystemClock system_clock_;
  const Clock* clock_ = &system_clock_;
  auth::NoBackground no_background_;
  auth::AuthCounters counters_;
  std::shared_ptr<void> backend_;  // owns the store object(s) behind the interfaces below
  store::UserStore* users_ = nullptr;
  store::SessionStore* sessions_store_ = nullptr;
  store::RateStore* rates_ = nullptr;
  store::AuditLog* audit_log_ = nullptr;
  store::RedisStore* redis_ = nullptr;
  std::unique_ptr<crypto::PasswordHasher> hasher_;
  std::unique_ptr<auth::AuditTrail> audit_;
  std::unique_ptr<auth::SessionSecrets> secrets_;
  std::unique_ptr<auth::RevocationSet> revocations_;
  std::unique_ptr<auth::LoginLimiter> limiter_;
  std::unique_ptr<auth::DeviceEpochs> device_epochs_;
  std::unique_ptr<auth::SessionService> sessions_;
  std::unique_ptr<auth::AccountService> accounts_;
  // Failed and throttled logins, one JSON line each on stderr (fail2ban).
  const auth::LoginEventLog login_events_{STDERR_FILENO};
  std::unique_ptr<auth::LoginService> login_;
  std::unique_ptr<auth::RefreshService> refresh_;
  auth::SkeletonBackfillReport skeleton_backfill_;
};

// The session policy the configuration describes.
auth::SessionPolicy SessionPolicyFrom(const config::Config& config);
// The signing key ring's file: jwt.keys_file, else <server.data_dir>/keys.json.
std::string KeyRingPath(const config::Config& config);
// The longest an access token lives: its TTL plus the clock leeway.
Seconds TokenHorizon(const config::Config& config);

}  // namespace sesame::app
