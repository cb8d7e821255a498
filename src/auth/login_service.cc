#include "auth/login_service.h"

#include <memory>

#include "auth/username.h"
#include "crypto/random.h"

namespace sesame::auth {

Result<std::unique_ptr<LoginService>> LoginService::Create(
    store::UserStore& users, SessionService& sessions, LoginLimiter& limiter, AuditTrail& audit,
    const crypto::PasswordHasher& hasher, const Clock& clock, AuthCounters& counters,
    const LoginEventLog* events, KnownDevices devices) {
  // A hash of a random password nobody knows, with the current parameters: verifying against
  // it costs what verifying a real user's password costs.
  auto dummy = hasher.Hash(crypto::RandomToken());
  if (!dummy) {
    return tl::unexpected(dummy.error());
  }
  return std::make_unique<LoginService>(users, sessions, limiter, audit, hasher, clock, counters,
                                        std::move(*dummy), events, devices);
}

LoginService::LoginService(store::UserStore& users, SessionService& sessions, LoginLimiter& limiter,
                           AuditTrail& audit, const crypto::PasswordHasher& hasher,
                           const Clock& clock, AuthCounters& counters, std::string dummy_hash,
                           const LoginEventLog* events, KnownDevices devices)
    : users_(users),
      sessions_(sessions),
      limiter_(limiter),
      audit_(audit),
      hasher_(hasher),
      clock_(clock),
      counters_(counters),
      dummy_hash_(std::move(dummy_hash)),
      events_(events),
      devices_(devices) {}

Result<LoginResult> LoginService::Login(const LoginRequest& request) {
  auto name = NormalizeUsername(request.username);
  if (!name) {
    return tl::unexpected(name.error());
  }
  if (auto shape = CheckPasswordShape(request.password); !shape) {
    return tl::unexpected(shape.error());
  }
  const Actor actor{{}, std::string(request.ip)};
  auto attempt = AdmitAttempt(*name, request);
  if (!attempt) {
    return tl::unexpected(attempt.error());
  }
  const store::User* user = attempt->user ? &*attempt->user : nullptr;
  auto matches = hasher_.Verify(user ? user->password_hash : dummy_hash_, request.password);
  if (!matches) {
    // A corrupt stored hash: an operator problem, reported as such, never "wrong password".
    Release(*attempt, name->key, request.ip);
    return tl::unexpected(matches.error());
  }
  if (user == nullptr) {
    return tl::unexpected(
        Fail(name->display, name->key, {}, request.ip, attempt->number, "unknown user"));
  }
  if (!*matches) {
    return tl::unexpected(
        Fail(name->display, name->key, user->id, request.ip, attempt->number, "wrong password"));
  }
  if (user->is_disabled) {
    return tl::unexpected(
        Fail(name->display, name->key, user->id, request.ip, attempt->number, "account disabled"));
  }
  if (attempt->account_slot) {
    limiter_.AccountGiveBack(name->key);  // not a failure
  }
  if (auto cleared = limiter_.RecordSuccess(name->key, request.ip); !cleared) {
    return tl::unexpected(cleared.error());
  }
  if (hasher_.NeedsRehash(user->password_hash)) {
    if (auto rehashed = hasher_.Hash(request.password)) {
      // Compare-and-set: a password changed meanwhile (admin, CLI) is never overwritten.
      if (auto replaced =
              users_.ReplacePasswordHash(user->id, user->password_hash, *rehashed, clock_.Now());
          replaced && *replaced) {
        audit_.Record("password_rehashed", user->id, {}, actor, {});
      }
    }
  }
  auto session = sessions_.Create(*user, request.mode, request.transport, request.remember,
                                  request.ip, request.user_agent);
  if (!session) {
    if (session.error().code == ErrorCode::kForbidden) {
      audit_.Record("login_refused", user->id, {}, actor, "device limit");
    }
    return tl::unexpected(session.error());
  }
  AuthCounters::Bump(counters_.logins_succeeded);
  audit_.Record("login_succeeded", user->id, session->record.id, actor,
                std::string(store::SessionModeName(request.mode)) + "/" +
                    std::string(store::TransportName(request.transport)));
  std::string device_token = IssueDeviceToken(*user, clock_.Now());
  return LoginResult{std::move(*attempt->user), std::move(*session), std::move(device_token)};
}

Result<LoginService::Attempt> LoginService::AdmitAttempt(const Username& name,
                                                         const LoginRequest& request) {
  const TimePoint now = clock_.Now();
  auto number = limiter_.Admit(name.key, request.ip, now);
  if (!number) {
    if (number.error().code == ErrorCode::kRateLimited) {
      AuthCounters::Bump(counters_.logins_rate_limited);
      LogEvent("login_throttled", name.display, request.ip, number.error().detail);
    }
    return tl::unexpected(number.error());
  }
  auto found = users_.FindUserByKey(name.key);
  if (!found) {
    limiter_.GiveBack(name.key, request.ip);
    return tl::unexpected(found.error());
  }
  Attempt attempt{*number, false, std::move(*found)};
  auto known = IsKnownDevice(attempt.user, request.device_token, now);
  if (!known) {
    limiter_.GiveBack(name.key, request.ip);
    return tl::unexpected(known.error());
  }
  if (!*known) {
    if (auto account = limiter_.AdmitAccount(name.key, now); !account) {
      limiter_.GiveBack(name.key, request.ip);
      if (account.error().code == ErrorCode::kRateLimited) {
        AuthCounters::Bump(counters_.logins_rate_limited);
        LogEvent("login_throttled", name.display, request.ip, account.error().detail);
      }
      return tl::unexpected(account.error());
    }
    attempt.account_slot = true;
  }
  return attempt;
}

Result<bool> LoginService::IsKnownDevice(const std::optional<store::User>& user,
                                         std::string_view token, TimePoint now) {
  if (!user || token.empty() || devices_.secrets == nullptr || devices_.epochs == nullptr) {
    return false;
  }
  auto epoch = devices_.epochs->Current(user->id, now);
  if (!epoch) {
    return tl::unexpected(epoch.error());
  }
  return devices_.secrets->IsValidDeviceToken(token, user->id, *epoch, now, kDeviceTokenLife);
}

std::string LoginService::IssueDeviceToken(const store::User& user, TimePoint now) {
  if (devices_.secrets == nullptr || devices_.epochs == nullptr) {
    return {};
  }
  auto epoch = devices_.epochs->Current(user.id, now);
  // Without the epoch the device simply stays unknown: the login itself stands.
  return epoch ? devices_.secrets->DeviceToken(user.id, *epoch, now) : std::string();
}

void LoginService::Release(const Attempt& attempt, std::string_view username_key,
                           std::string_view ip) {
  limiter_.GiveBack(username_key, ip);
  if (attempt.account_slot) {
    limiter_.AccountGiveBack(username_key);
  }
}

Result<void> LoginService::AdmitRegistration(std::string_view ip) {
  return limiter_.AdmitAddress(ip, clock_.Now());
}

Result<void> LoginService::ChangePassword(const PasswordChange& change) {
  if (auto shape = CheckPasswordShape(change.current_password); !shape) {
    return shape;
  }
  if (auto shape = CheckPasswordShape(change.new_password); !shape) {
    return shape;
  }
  auto found = users_.FindUserById(change.user_id);
  if (!found) {
    return tl::unexpected(found.error());
  }
  if (!*found || (*found)->is_disabled) {
    return MakeError(ErrorCode::kSessionRevoked, "the account is gone or disabled");
  }
  const store::User& user = **found;
  const Actor actor{user.id, std::string(change.ip)};
  // The current password is a login in all but name: the same limits, the same counting.
  auto attempt = limiter_.Admit(user.username_key, change.ip, clock_.Now());
  if (!attempt) {
    return tl::unexpected(attempt.error());
  }
  auto matches = hasher_.Verify(user.password_hash, change.current_password);
  if (!matches) {
    limiter_.GiveBack(user.username_key, change.ip);
    return tl::unexpected(matches.error());
  }
  if (!*matches) {
    return tl::unexpected(Fail(user.username, user.username_key, user.id, change.ip, *attempt,
                               "wrong current password"));
  }
  if (auto cleared = limiter_.RecordSuccess(user.username_key, change.ip); !cleared) {
    return cleared;
  }
  auto hash = hasher_.Hash(change.new_password);
  if (!hash) {
    return tl::unexpected(hash.error());
  }
  // The devices that knew the old password are no longer known (first: should the change then
  // fail, they only sign in once more).
  if (devices_.epochs != nullptr) {
    if (auto advanced = devices_.epochs->Advance(user.id, clock_.Now()); !advanced) {
      return advanced;
    }
  }
  // Compare-and-set on the hash just verified: a concurrent change is never overwritten.
  auto replaced = users_.ReplacePasswordHash(user.id, user.password_hash, *hash, clock_.Now());
  if (!replaced) {
    return tl::unexpected(replaced.error());
  }
  if (!*replaced) {
    return MakeError(ErrorCode::kInvalidCredentials, "the password changed meanwhile");
  }
  audit_.Record("password_changed", user.id, change.session_id, actor, "by its owner");
  // OWASP ASVS 3.3.3: every other session ends; the one that changed it stays.
  if (auto revoked = sessions_.RevokeOthers(user.id, change.session_id, "password_changed", actor);
      !revoked) {
    return tl::unexpected(revoked.error());
  }
  return {};
}

void LoginService::LogEvent(std::string_view event, std::string_view username, std::string_view ip,
                            std::string_view reason) const {
  if (events_ != nullptr) {
    events_->Write(event, username, ip, reason);
  }
}

Error LoginService::Fail(std::string_view username, std::string_view username_key,
                         std::string_view user_id, std::string_view ip, int64_t attempt,
                         std::string_view why) {
  AuthCounters::Bump(counters_.logins_failed);
  LogEvent("login_failed", username, ip, why);
  const Actor actor{{}, std::string(ip)};
  if (auto marked = limiter_.RecordFailure(username_key, ip, clock_.Now()); !marked) {
    return marked.error();
  }
  audit_.Record("login_failed", user_id, {}, actor, why);
  if (limiter_.DelayAfter(attempt) > Seconds(0)) {
    audit_.Record("login_throttled", user_id, {}, actor,
                  std::to_string(attempt) + " failures from " + AddressPrefix(ip));
  }
  return Error{ErrorCode::kInvalidCredentials, "invalid username or password"};
}

}  // namespace sesame::auth
