#pragma once

// Sessions: creating one per login, authenticating a session secret (cache first, then the
// store), the sliding idle timeout, listing a user's devices and revoking (one session, all
// of a user's). Revocation commits to the store first, then invalidates the cache and publishes
// it on the revocation bus (which reaches the access JWTs of jwt-mode sessions), so a revoked
// session is never served again by any thread (see session_cache.h, revocation_set.h). Every
// revocation is audited once.
//
// Thread-safe. The stores, clock, background and counters must outlive the service.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_trail.h"
#include "auth/auth_counters.h"
#include "auth/background.h"
#include "auth/device_epochs.h"
#include "auth/revocation_set.h"
#include "auth/session_cache.h"
#include "auth/session_secrets.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::auth {

struct SessionPolicy {
  Seconds idle_timeout{30 * 60};
  Seconds absolute_timeout{14 * 24 * 3600};
  Seconds remember_timeout{30 * 24 * 3600};  // absolute timeout of a "remember me" login
  store::DeviceLimit device_limit;
  // A cached entry is re-read from the store after this long (bounds staleness of changes
  // made where no invalidation reaches, besides the change feed).
  Seconds cache_revalidate_after{300};
};

// What jwt mode needs (absent: only session mode is available).
struct JwtSessions {
  const SessionSecrets* secrets = nullptr;  // refresh and CSRF tokens of jwt sessions
  RevocationBus* revocations = nullptr;     // where revocations are published
  bool refresh_tokens = true;               // jwt.refresh
};

// A request's view of its session, from the cache or the store.
struct Authenticated {
  std::shared_ptr<const CachedSession> session;
  TimePoint last_seen_at;  // before this request
};

struct NewSession {
  store::Session record;
  std::string session_secret;  // session mode only: the client's credential; never logged
  std::string refresh_token;   // jwt mode with refresh tokens: generation 0; never logged
  std::vector<std::string> evicted_session_ids;
};

class SessionService {
 public:
  // `device_epochs` (may be null): RevokeAll() moves the user's device epoch, so "sign out
  // everywhere" (and everything built on it) also forgets the user's known devices.
  SessionService(store::SessionStore& sessions, store::UserStore& users, AuditTrail& audit,
                 const Clock& clock, SessionPolicy policy, Background& background,
                 AuthCounters& counters, JwtSessions jwt = {},
                 DeviceEpochs* device_epochs = nullptr);

  const SessionPolicy& policy() const { return policy_; }

  // Hot path, never blocks: the answer if the secret's session is cached, nullopt if the
  // caller must call Load() (on a worker). Errors: kSessionExpired.
  std::optional<Result<Authenticated>> FindCached(std::string_view session_secret);
  // Blocking (store). kInvalidToken for an unknown secret, kSessionRevoked, kSessionExpired,
  // kUnavailable.
  [[nodiscard]] Result<Authenticated> Load(std::string_view session_secret);

  // Blocking. Applies the device limit; kForbidden when it refuses. kInvalidRequest for jwt
  // mode without JwtSessions.
  [[nodiscard]] Result<NewSession> Create(const store::User& user, store::SessionMode mode,
                                          store::Transport transport, bool remember,
                                          std::string_view ip, std::string_view user_agent);

  [[nodiscard]] Result<std::optional<store::Session>> Find(std::string_view session_id);
  [[nodiscard]] Result<std::vector<store::Session>> ListLive(std::string_view user_id);
  // Revokes one session; false if it was already revoked or does not exist.
  [[nodiscard]] Result<bool> Revoke(std::string_view session_id, std::string_view reason,
                                    const Actor& actor);
  // Revokes every session of the user; returns how many.
  [[nodiscard]] Result<size_t> RevokeAll(std::string_view user_id, std::string_view reason,
                                         const Actor& actor);
  // Revokes every live session of the user but `keep_session_id` (a password changed by its
  // owner: the session that changed it stays). One revocation per session, each published, so
  // the kept session's access tokens stay valid. Returns how many.
  [[nodiscard]] Result<size_t> RevokeOthers(std::string_view user_id,
                                            std::string_view keep_session_id,
                                            std::string_view reason, const Actor& actor);
  // The user's roles or disabled flag changed: drop cached copies here, make the user's access
  // tokens issued until now stale (they fail as expired and get refreshed with the new claims),
  // and tell other processes through the change feed (best effort: the cache also revalidates
  // by age).
  void UserChanged(std::string_view user_id);

  // Applies the store's change feed (changes made by other processes). Blocking.
  [[nodiscard]] Result<void> FollowChanges();
  // Publishes every jwt-mode revocation whose tokens may still be within `exp` (made within
  // the bus's horizon), so a restart does not resurrect revoked tokens. Blocking; at start.
  [[nodiscard]] Result<size_t> RebuildRevocations(Seconds horizon);

  const JwtSessions& jwt() const { return jwt_; }

  SessionCache& cache() { return cache_; }

  // Several nodes share the session store: a session cached here would not hear of a logout
  // made on another node until the change feed arrives, so the server turns the cache off and
  // every session check reads the store (one lookup per request: what session mode promises),
  // answering or failing closed (kUnavailable). Dead secrets (unknown, revoked, expired: all
  // permanent) are still remembered. Turning it off empties the cache.
  void SetCacheTrusted(bool trusted);
  // After (re)connecting to a shared store's change feed: apply it, and republish the
  // revocations still within `horizon` (messages missed while away). Blocking.
  [[nodiscard]] Result<void> Resynchronize(Seconds horizon);

  // The sequence number of the last store change FollowChanges() applied (-1 before its first
  // call): revocations up to it are effective on this node.
  int64_t change_cursor() const { return change_cursor_.load(); }

 private:
  void MaybeWriteLastSeen(SessionCache::Entry& entry, int64_t now);
  // Hands a last-seen write to the background (dropped if it is full).
  void PostTouch(const std::string& session_id, int64_t now, Seconds idle);
  void Publish(Revocation::Kind kind, std::string_view id, TimePoint at);
  Result<Authenticated> LoadUncached(const SecretHash& key);
  // Publishes the user cut-offs (revoke-all, account changes) the change feed holds since
  // `since`; returns how many.
  Result<size_t> RebuildUserCutoffs(TimePoint since);

  store::SessionStore& sessions_;
  store::UserStore& users_;
  AuditTrail& audit_;
  const Clock& clock_;
  const SessionPolicy policy_;
  const Seconds touch_interval_;
  Background& background_;
  AuthCounters& counters_;
  const JwtSessions jwt_;
  DeviceEpochs* const device_epochs_;
  SessionCache cache_;
  std::atomic<int64_t> change_cursor_{-1};
  std::atomic<bool> cache_trusted_{true};
};

}  // namespace sesame::auth
