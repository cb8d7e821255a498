#include "auth/login_service.h"

#include <memory>

#include "auth/username.h"
#include "crypto/random.h"

namespace sesame::auth {

Result<std::unique_ptr<LoginService>> LoginService::Create(
    store::UserStore& users, SessionService& sessions, LoginLimiter& limiter, AuditTrail& audit,
    const crypto::PasswordHasher& hasher, const Clock& clock, AuthCounters& counters) {
  // A hash of a random password nobody knows, with the current parameters: verifying against
  // it costs what verifying a real user's password costs.
  auto dummy = hasher.Hash(crypto::RandomToken());
  if (!dummy) {
    return tl::unexpected(dummy.error());
  }
  return std::make_unique<LoginService>(users, sessions, limiter, audit, hasher, clock, counters,
                                        std::move(*dummy));
}

LoginService::LoginService(store::UserStore& users, SessionService& sessions, LoginLimiter& limiter,
                           AuditTrail& audit, const crypto::PasswordHasher& hasher,
                           const Clock& clock, AuthCounters& counters, std::string dummy_hash)
    : users_(users),
      sessions_(sessions),
      limiter_(limiter),
      audit_(audit),
      hasher_(hasher),
      clock_(clock),
      counters_(counters),
      dummy_hash_(std::move(dummy_hash)) {}

Result<LoginResult> LoginService::Login(const LoginRequest& request) {
  auto name = NormalizeUsername(request.username);
  if (!name) {
    return tl::unexpected(name.error());
  }
  if (auto shape = CheckPasswordShape(request.password); !shape) {
    return tl::unexpected(shape.error());
  }
  const Actor actor{{}, std::string(request.ip)};
  if (auto admitted = limiter_.Admit(name->key, request.ip, clock_.Now()); !admitted) {
    if (admitted.error().code == ErrorCode::kRateLimited) {
      AuthCounters::Bump(counters_.logins_rate_limited);
    }
    return tl::unexpected(admitted.error());
  }
  auto found = users_.FindUserByKey(name->key);
  if (!found) {
    return tl::unexpected(found.error());
  }
  const store::User* user = found->has_value() ? &**found : nullptr;
  auto matches = hasher_.Verify(user ? user->password_hash : dummy_hash_, request.password);
  if (!matches) {
    // A corrupt stored hash: an operator problem, reported as such, never "wrong password".
    return tl::unexpected(matches.error());
  }
  if (user == nullptr) {
    return tl::unexpected(Fail(name->key, {}, request.ip, "unknown user"));
  }
  if (!*matches) {
    return tl::unexpected(Fail(name->key, user->id, request.ip, "wrong password"));
  }
  if (user->is_disabled) {
    return tl::unexpected(Fail(name->key, user->id, request.ip, "account disabled"));
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
  return LoginResult{std::move(**found), std::move(*session)};
}

Result<void> LoginService::AdmitRegistration(std::string_view ip) {
  return limiter_.AdmitAddress(ip, clock_.Now());
}

Error LoginService::Fail(std::string_view username_key, std::string_view user_id,
                         std::string_view ip, std::string_view why) {
  AuthCounters::Bump(counters_.logins_failed);
  const Actor actor{{}, std::string(ip)};
  auto failures = limiter_.RecordFailure(username_key, ip, clock_.Now());
  if (!failures) {
    return failures.error();
  }
  audit_.Record("login_failed", user_id, {}, actor, why);
  if (limiter_.DelayAfter(*failures) > Seconds(0)) {
    audit_.Record("login_throttled", user_id, {}, actor,
                  std::to_string(*failures) + " failures from " + AddressPrefix(ip));
  }
  return Error{ErrorCode::kInvalidCredentials, "invalid username or password"};
}

}  // namespace sesame::auth
