#pragma once

// The domain services over the memory store with a test clock: what auth unit tests share.

#include <functional>
#include <memory>
#include <vector>

#include "auth/account_service.h"
#include "auth/audit_trail.h"
#include "auth/auth_counters.h"
#include "auth/background.h"
#include "auth/login_limiter.h"
#include "auth/login_service.h"
#include "auth/refresh_service.h"
#include "auth/revocation_set.h"
#include "auth/session_secrets.h"
#include "auth/session_service.h"
#include "crypto/password_hasher.h"
#include "store/memory/memory_store.h"
#include "test_clock.h"

namespace sesame::testing {

// Collects background tasks so a test decides when (and whether) they run.
class QueuedBackground final : public auth::Background {
 public:
  bool TryPost(std::function<void()> task) override {
    tasks.push_back(std::move(task));
    return true;
  }
  void RunAll() {
    auto pending = std::move(tasks);
    tasks.clear();
    for (auto& t : pending) {
      t();
    }
  }
  std::vector<std::function<void()>> tasks;
};

struct AuthFixture {
  explicit AuthFixture(auth::SessionPolicy policy = {},
                       auth::RateLimit failures = {10, Seconds(900)},
                       auth::RateLimit attempts = {100, Seconds(60)},
                       auth::RateLimit per_account = {50, Seconds(900)})
      : hasher(*crypto::PasswordHasher::Create(crypto::Argon2Params{1, 64 * 1024})),
        audit(store, clock),
        limiter(store, failures, attempts, Seconds(1), per_account),
        device_epochs(store),
        secrets(*auth::SessionSecrets::FromKey(SecretBytes(std::string(32, 'k')))),
        revocations(Seconds(600)),
        sessions(store, store, audit, clock, policy, background, counters,
                 auth::JwtSessions{&secrets, &revocations, true}, &device_epochs),
        refresh(store, store, sessions, secrets, audit, clock,
                auth::RefreshPolicy{Seconds(10000), Seconds(30)}, counters),
        accounts(store, sessions, audit, hasher, clock),
        login(std::move(
            *auth::LoginService::Create(store, sessions, limiter, audit, hasher, clock, counters,
                                        nullptr, auth::KnownDevices{&secrets, &device_epochs}))) {}

  store::User AddUser(const std::string& name, const std::string& password,
                      std::vector<std::string> roles = {}) {
    return *accounts.CreateUser(name, password, roles, {});
  }

  Result<auth::LoginResult> Login(const std::string& name, const std::string& password,
                                  const std::string& ip = "192.0.2.10",
                                  const std::string& device_token = {}) {
    auth::LoginRequest request;
    request.username = name;
    request.password = password;
    request.ip = ip;
    request.device_token = device_token;
    request.user_agent = "test";
    return login->Login(request);
  }

  TestClock clock;
  store::MemoryStore store;
  crypto::PasswordHasher hasher;
  auth::AuthCounters counters;
  QueuedBackground background;
  auth::AuditTrail audit;
  auth::LoginLimiter limiter;
  auth::DeviceEpochs device_epochs;
  auth::SessionSecrets secrets;
  auth::RevocationSet revocations;
  auth::SessionService sessions;
  auth::RefreshService refresh;
  auth::AccountService accounts;
  std::unique_ptr<auth::LoginService> login;
};

}  // namespace sesame::testing
