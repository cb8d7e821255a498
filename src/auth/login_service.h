#pragma once

// Password login (API.md POST /v1/auth/login). Every failure the client could learn from
// (unknown user, wrong password, disabled account) is kInvalidCredentials, and each takes the
// same work: an unknown user is checked against a dummy argon2id hash made with the current
// parameters, and every failure counts against the brute-force limits. A successful login
// rehashes the password when the argon2id parameters changed, and creates a new session (a
// new id every time: no fixation).
//
// Login is blocking (argon2id, store): call it from the worker pool, never an io thread.
// Thread-safe; collaborators must outlive it.

#include <string>
#include <string_view>

#include "auth/audit_trail.h"
#include "auth/auth_counters.h"
#include "auth/login_event_log.h"
#include "auth/login_limiter.h"
#include "auth/session_service.h"
#include "common/clock.h"
#include "common/result.h"
#include "crypto/password_hasher.h"
#include "store/user_store.h"

namespace sesame::auth {

struct LoginRequest {
  std::string_view username;
  std::string_view password;
  store::SessionMode mode = store::SessionMode::kSession;
  store::Transport transport = store::Transport::kCookie;
  bool remember = false;
  std::string_view ip;
  std::string_view user_agent;
};

// POST /v1/auth/password: the caller changes their own password.
struct PasswordChange {
  std::string_view user_id;
  std::string_view session_id;  // the caller's session: it stays, every other one is revoked
  std::string_view current_password;
  std::string_view new_password;
  std::string_view ip;
};

struct LoginResult {
  store::User user;
  NewSession session;
};

class LoginService {
 public:
  // kInternal if the dummy hash cannot be made (argon2id broken).
  // `events` (may be null) gets a line per failed or throttled login.
  [[nodiscard]] static Result<std::unique_ptr<LoginService>> Create(
      store::UserStore& users, SessionService& sessions, LoginLimiter& limiter, AuditTrail& audit,
      const crypto::PasswordHasher& hasher, const Clock& clock, AuthCounters& counters,
      const LoginEventLog* events = nullptr);

  // kInvalidRequest (shape), kInvalidCredentials, kRateLimited (with retry_after),
  // kForbidden (device limit with on_limit = refuse), kUnavailable.
  [[nodiscard]] Result<LoginResult> Login(const LoginRequest& request);

  // Checks the current password under the login limits (a wrong one counts as a failed
  // login), sets the new one and revokes every other session of the user. Blocking (argon2id
  // twice). kInvalidRequest (shape), kInvalidCredentials, kRateLimited, kSessionRevoked (the
  // account is gone or disabled), kUnavailable.
  [[nodiscard]] Result<void> ChangePassword(const PasswordChange& change);

  // Registration shares the per-address budget of logins, so it cannot be used to burn
  // argon2id time or probe usernames faster than logins can. kRateLimited, kUnavailable.
  [[nodiscard]] Result<void> AdmitRegistration(std::string_view ip);

  LoginService(store::UserStore& users, SessionService& sessions, LoginLimiter& limiter,
               AuditTrail& audit, const crypto::PasswordHasher& hasher, const Clock& clock,
               AuthCounters& counters, std::string dummy_hash, const LoginEventLog* events);

 private:
  // A failed check of admitted attempt number `attempt`: counted, audited, one answer.
  Error Fail(std::string_view username, std::string_view username_key, std::string_view user_id,
             std::string_view ip, int64_t attempt, std::string_view why);
  void LogEvent(std::string_view event, std::string_view username, std::string_view ip,
                std::string_view reason) const;

  store::UserStore& users_;
  SessionService& sessions_;
  LoginLimiter& limiter_;
  AuditTrail& audit_;
  const crypto::PasswordHasher& hasher_;
  const Clock& clock_;
  AuthCounters& counters_;
  const std::string dummy_hash_;
  const LoginEventLog* const events_;
};

}  // namespace sesame::auth
