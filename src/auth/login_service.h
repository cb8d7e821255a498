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

#include <optional>
#include <string>
#include <string_view>

#include "auth/audit_trail.h"
#include "auth/auth_counters.h"
#include "auth/device_epochs.h"
#include "auth/login_event_log.h"
#include "auth/login_limiter.h"
#include "auth/session_secrets.h"
#include "auth/session_service.h"
#include "auth/username.h"
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
  std::string_view device_token;  // from the device cookie or the body; may be empty
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
  std::string device_token;  // a fresh one for this device; empty when it cannot be made
};

// What recognises the owner's known devices (API.md "Device cookie"). Both or neither.
struct KnownDevices {
  const SessionSecrets* secrets = nullptr;
  DeviceEpochs* epochs = nullptr;
};

class LoginService {
 public:
  // kInternal if the dummy hash cannot be made (argon2id broken).
  // `events` (may be null) gets a line per failed or throttled login.
  [[nodiscard]] static Result<std::unique_ptr<LoginService>> Create(
      store::UserStore& users, SessionService& sessions, LoginLimiter& limiter, AuditTrail& audit,
      const crypto::PasswordHasher& hasher, const Clock& clock, AuthCounters& counters,
      const LoginEventLog* events = nullptr, KnownDevices devices = {});

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
               AuthCounters& counters, std::string dummy_hash, const LoginEventLog* events,
               KnownDevices devices);

 private:
  // An admitted attempt: its slot number, whether it took an account-wide slot too (it did not
  // come from a known device), and the user it names (absent for an unknown name).
  struct Attempt {
    int64_t number = 0;
    bool account_slot = false;
    std::optional<store::User> user;
  };
  // The limits before argon2id: the (account, network) slot, then, unless the request comes
  // from one of the account's known devices, a slot of the account's budget across networks.
  Result<Attempt> AdmitAttempt(const Username& name, const LoginRequest& request);
  Result<bool> IsKnownDevice(const std::optional<store::User>& user, std::string_view token,
                             TimePoint now);
  std::string IssueDeviceToken(const store::User& user, TimePoint now);
  void Release(const Attempt& attempt, std::string_view username_key, std::string_view ip);
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
  const KnownDevices devices_;
};

}  // namespace sesame::auth
