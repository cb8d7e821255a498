#include "auth/session_service.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "auth/ids.h"
#include "common/base64url.h"
#include "crypto/random.h"

namespace sesame::auth {
namespace {

std::shared_ptr<const CachedSession> Snapshot(const store::Session& s, const store::User& user,
                                              Seconds idle_timeout) {
  auto out = std::make_shared<CachedSession>();
  out->session_id = s.id;
  out->user_id = user.id;
  out->username = user.username;
  out->roles = user.roles;
  for (size_t i = 0; i < user.roles.size(); ++i) {
    out->roles_joined += (i ? "," : "") + user.roles[i];
  }
  out->mode = s.mode;
  out->transport = s.transport;
  out->csrf_token = s.csrf_token;
  out->created_at = s.created_at;
  out->absolute_expires_at = s.absolute_expires_at;
  out->idle_timeout = idle_timeout;
  return out;
}

std::optional<SecretHash> ParseSecretHash(std::string_view text) {
  auto bytes = Base64UrlDecode(text);
  if (!bytes || bytes->size() != 32) {
    return std::nullopt;
  }
  SecretHash out{};
  std::memcpy(out.data(), bytes->data(), out.size());
  return out;
}

}  // namespace

SessionService::SessionService(store::SessionStore& sessions, store::UserStore& users,
                               AuditTrail& audit, const Clock& clock, SessionPolicy policy,
                               Background& background, AuthCounters& counters, JwtSessions jwt,
                               DeviceEpochs* device_epochs)
    : sessions_(sessions),
      users_(users),
      audit_(audit),
      clock_(clock),
      policy_(policy),
      // Writing last-seen at most every idle/10 (1 s .. 60 s) bounds the store writes per
      // session; the idle expiry in the store lags by at most this much.
      touch_interval_(std::clamp(policy.idle_timeout / 10, Seconds(1), Seconds(60))),
      background_(background),
      counters_(counters),
      jwt_(jwt),
      device_epochs_(device_epochs) {}

void SessionService::Publish(Revocation::Kind kind, std::string_view id, TimePoint at) {
  if (jwt_.revocations != nullptr) {
    jwt_.revocations->Publish(Revocation{kind, std::string(id), at});
  }
}

std::optional<Result<Authenticated>> SessionService::FindCached(std::string_view session_secret) {
  const SecretHash key = HashSecret(session_secret);
  SessionCache::EntryPtr entry = cache_.Find(key);
  const int64_t now = ToUnixSeconds(clock_.Now());
  if (!entry) {
    if (auto dead = cache_.FindDead(key)) {
      AuthCounters::Bump(counters_.session_cache_hits);
      return Result<Authenticated>(MakeError(*dead, "known dead session token"));
    }
  }
  if (!entry || now - entry->loaded_at >= policy_.cache_revalidate_after.count() ||
      !cache_trusted_.load(std::memory_order_acquire)) {
    AuthCounters::Bump(counters_.session_cache_misses);
    return std::nullopt;
  }
  const CachedSession& s = *entry->session;
  const int64_t last_seen = entry->last_seen.load(std::memory_order_relaxed);
  if (now >= ToUnixSeconds(s.absolute_expires_at)) {
    AuthCounters::Bump(counters_.session_cache_hits);
    return Result<Authenticated>(
        MakeError(ErrorCode::kSessionExpired, "session timed out; log in again"));
  }
  if (now >= last_seen + s.idle_timeout.count()) {
    // Idle here, but another node may have seen it since: the store decides.
    AuthCounters::Bump(counters_.session_cache_misses);
    return std::nullopt;
  }
  AuthCounters::Bump(counters_.session_cache_hits);
  if (last_seen < now) {
    entry->last_seen.store(now, std::memory_order_relaxed);
  }
  MaybeWriteLastSeen(*entry, now);
  return Result<Authenticated>(Authenticated{entry->session, FromUnixSeconds(last_seen)});
}

void SessionService::MaybeWriteLastSeen(SessionCache::Entry& entry, int64_t now) {
  int64_t written = entry.last_written.load(std::memory_order_relaxed);
  if (now - written < touch_interval_.count()) {
    return;
  }
  // One thread wins the claim; the others see the new value and skip.
  if (!entry.last_written.compare_exchange_strong(written, now, std::memory_order_relaxed)) {
    return;
  }
  PostTouch(entry.session->session_id, now, entry.session->idle_timeout);
}

void SessionService::PostTouch(const std::string& session_id, int64_t now, Seconds idle) {
  background_.TryPost([this, session_id, now, idle] {
    // A failed write only makes the store's idle expiry lag; the next touch retries.
    (void)sessions_.TouchSession(session_id, FromUnixSeconds(now), FromUnixSeconds(now) + idle);
  });
}

Result<Authenticated> SessionService::Load(std::string_view session_secret) {
  const SecretHash key = HashSecret(session_secret);
  auto loaded = LoadUncached(key);
  if (!loaded) {
    const ErrorCode code = loaded.error().code;
    if (code == ErrorCode::kInvalidToken || code == ErrorCode::kSessionRevoked ||
        code == ErrorCode::kSessionExpired) {
      cache_.InsertDead(key, code);
    }
  }
  return loaded;
}

Result<Authenticated> SessionService::LoadUncached(const SecretHash& key) {
  const uint64_t fill_epoch = cache_.BeginFill();
  auto found = sessions_.FindSessionBySecretHash(SecretHashText(key));
  if (!found) {
    return tl::unexpected(found.error());
  }
  if (!*found || (*found)->mode != store::SessionMode::kSession) {
    return MakeError(ErrorCode::kInvalidToken, "unknown session token");
  }
  const store::Session& s = **found;
  const TimePoint now = clock_.Now();
  if (s.IsRevoked()) {
    return MakeError(ErrorCode::kSessionRevoked, "session was revoked (" + s.revoke_reason + ")");
  }
  // A cached entry being revalidated may have seen use that is not in the store yet (last-seen
  // writes are rate-bounded): its idle expiry counts too.
  TimePoint idle_expires_at = s.idle_expires_at;
  const bool cached = cache_trusted_.load(std::memory_order_acquire);
  if (auto stale = cached ? cache_.Find(key) : nullptr) {
    idle_expires_at = std::max(idle_expires_at,
                               FromUnixSeconds(stale->last_seen.load(std::memory_order_relaxed)) +
                                   stale->session->idle_timeout);
  }
  if (now >= s.absolute_expires_at || now >= idle_expires_at) {
    return MakeError(ErrorCode::kSessionExpired, "session timed out; log in again");
  }
  auto user = users_.FindUserById(s.user_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user || (*user)->is_disabled) {
    return MakeError(ErrorCode::kSessionRevoked, "the account is disabled");
  }
  const Seconds idle = s.idle_expires_at - s.last_seen_at;
  auto snapshot = Snapshot(s, **user, idle);
  const int64_t now_s = ToUnixSeconds(now);
  const int64_t stored_last_seen = ToUnixSeconds(s.last_seen_at);
  if (!cached) {
    // A shared store, read on every request: nothing to cache, and the store's last-seen time
    // says when it is due for a write.
    if (now_s - stored_last_seen >= touch_interval_.count()) {
      PostTouch(s.id, now_s, idle);
    }
    return Authenticated{std::move(snapshot), s.last_seen_at};
  }
  auto entry = cache_.Insert(key, snapshot, now_s, stored_last_seen, now_s, fill_epoch);
  MaybeWriteLastSeen(*entry, now_s);
  return Authenticated{std::move(snapshot), s.last_seen_at};
}

Result<NewSession> SessionService::Create(const store::User& user, store::SessionMode mode,
                                          store::Transport transport, bool remember,
                                          std::string_view ip, std::string_view user_agent) {
  if (mode == store::SessionMode::kJwt && jwt_.secrets == nullptr) {
    return MakeError(ErrorCode::kInvalidRequest, "mode jwt is not available on this server");
  }
  const TimePoint now = clock_.Now();
  NewSession out;
  store::Session& s = out.record;
  s.id = NewSessionId();
  s.user_id = user.id;
  s.mode = mode;
  s.transport = transport;
  if (mode == store::SessionMode::kSession) {
    out.session_secret = crypto::RandomToken();
    s.secret_hash = SecretHashText(HashSecret(out.session_secret));
  } else if (jwt_.refresh_tokens) {
    out.refresh_token = jwt_.secrets->RefreshToken(s.id, 0);
    s.refresh_hash = SecretHashText(HashSecret(out.refresh_token));
  }
  if (transport == store::Transport::kCookie) {
    // A jwt session's CSRF token is derived, so a request carrying an access JWT in a cookie is
    // checked without a store read.
    s.csrf_token =
        mode == store::SessionMode::kJwt ? jwt_.secrets->CsrfToken(s.id) : crypto::RandomToken();
  }
  s.created_at = now;
  s.last_seen_at = now;
  s.idle_expires_at = now + policy_.idle_timeout;
  s.absolute_expires_at = now + (remember ? policy_.remember_timeout : policy_.absolute_timeout);
  s.ip = std::string(ip.substr(0, 64));
  s.user_agent = std::string(user_agent.substr(0, 512));
  s.remember = remember;
  auto created = sessions_.CreateSession(s, policy_.device_limit, now);
  if (!created) {
    return tl::unexpected(created.error());
  }
  AuthCounters::Bump(counters_.sessions_created);
  out.evicted_session_ids = std::move(created->evicted_session_ids);
  for (const std::string& evicted : out.evicted_session_ids) {
    AuthCounters::Bump(counters_.sessions_evicted);
    AuthCounters::Bump(counters_.sessions_revoked);
    // The evicted sessions' cache entries: find their hashes to invalidate them.
    auto old = sessions_.FindSessionById(evicted);
    if (old && *old) {
      if (auto key = ParseSecretHash((*old)->secret_hash)) {
        cache_.Invalidate(*key);
      }
    }
    Publish(Revocation::Kind::kSession, evicted, now);
    audit_.Record("session_evicted", user.id, evicted, Actor{{}, std::string(ip)}, "device limit");
  }
  return out;
}

Result<std::optional<store::Session>> SessionService::Find(std::string_view session_id) {
  return sessions_.FindSessionById(session_id);
}

Result<std::vector<store::Session>> SessionService::ListLive(std::string_view user_id) {
  return sessions_.ListLiveSessions(user_id, clock_.Now());
}

Result<bool> SessionService::Revoke(std::string_view session_id, std::string_view reason,
                                    const Actor& actor) {
  auto found = sessions_.FindSessionById(session_id);
  if (!found) {
    return tl::unexpected(found.error());
  }
  if (!*found) {
    return false;
  }
  const TimePoint now = clock_.Now();
  auto revoked = sessions_.RevokeSession(session_id, reason, now);
  if (!revoked) {
    return tl::unexpected(revoked.error());
  }
  // Invalidate even if another caller revoked first: the cache must not outlive the store.
  if (auto key = ParseSecretHash((*found)->secret_hash)) {
    cache_.Invalidate(*key);
  }
  if ((*found)->mode == store::SessionMode::kJwt) {
    Publish(Revocation::Kind::kSession, session_id, (*found)->revoked_at.value_or(now));
  }
  if (*revoked) {
    AuthCounters::Bump(counters_.sessions_revoked);
    audit_.Record("session_revoked", (*found)->user_id, session_id, actor, reason);
  }
  return *revoked;
}

Result<size_t> SessionService::RevokeAll(std::string_view user_id, std::string_view reason,
                                         const Actor& actor) {
  const TimePoint now = clock_.Now();
  // Known devices are forgotten first: a failure here leaves every session as it was.
  if (device_epochs_ != nullptr) {
    if (auto advanced = device_epochs_->Advance(user_id, now); !advanced) {
      return tl::unexpected(advanced.error());
    }
  }
  auto revoked = sessions_.RevokeUserSessions(user_id, reason, now);
  if (!revoked) {
    return tl::unexpected(revoked.error());
  }
  cache_.InvalidateUser(user_id);
  // The user's cut-off covers tokens issued before this second; the sessions themselves cover
  // tokens issued within it.
  Publish(Revocation::Kind::kUser, user_id, now);
  for (const std::string& id : *revoked) {
    Publish(Revocation::Kind::kSession, id, now);
  }
  AuthCounters::Bump(counters_.sessions_revoked, revoked->size());
  audit_.Record("sessions_revoked_all", user_id, {}, actor,
                std::string(reason) + ": " + std::to_string(revoked->size()) + " sessions");
  return revoked->size();
}

Result<size_t> SessionService::RevokeOthers(std::string_view user_id,
                                            std::string_view keep_session_id,
                                            std::string_view reason, const Actor& actor) {
  auto live = sessions_.ListLiveSessions(user_id, clock_.Now());
  if (!live) {
    return tl::unexpected(live.error());
  }
  size_t count = 0;
  for (const store::Session& session : *live) {
    if (session.id == keep_session_id) {
      continue;
    }
    auto revoked = Revoke(session.id, reason, actor);
    if (!revoked) {
      return tl::unexpected(revoked.error());
    }
    count += *revoked ? 1 : 0;
  }
  return count;
}

void SessionService::UserChanged(std::string_view user_id) {
  const TimePoint now = clock_.Now();
  cache_.InvalidateUser(user_id);
  // Access tokens carry the roles: those issued until now are stale here at once, and on other
  // nodes when the change feed reaches them (FollowChanges).
  Publish(Revocation::Kind::kUserClaims, user_id, now);
  (void)sessions_.RecordUserChanged(user_id, now);
}

Result<void> SessionService::FollowChanges() {
  int64_t cursor = change_cursor_.load();
  if (cursor < 0) {
    auto latest = sessions_.LatestChangeSeq();
    if (!latest) {
      return tl::unexpected(latest.error());
    }
    change_cursor_.store(*latest);
    return {};
  }
  for (;;) {
    auto changes = sessions_.ChangesSince(cursor, 256);
    if (!changes) {
      return tl::unexpected(changes.error());
    }
    for (const store::Change& change : *changes) {
      if (change.kind == store::Change::Kind::kSessionRevoked) {
        Publish(Revocation::Kind::kSession, change.session_id, change.at);
        auto found = sessions_.FindSessionById(change.session_id);
        std::optional<SecretHash> key;
        if (found && *found) {
          key = ParseSecretHash((*found)->secret_hash);
        }
        if (key) {
          cache_.Invalidate(*key);
        } else {
          cache_.InvalidateUser(change.user_id);  // record gone or unreadable: be broad
        }
      } else {
        if (change.kind == store::Change::Kind::kUserSessionsRevoked) {
          // The cut-off covers tokens issued before that second; the sessions revoked with it
          // cover tokens issued within it.
          Publish(Revocation::Kind::kUser, change.user_id, change.at);
          auto revoked = sessions_.ListRevokedJwtSessions(change.at);
          if (!revoked) {
            return tl::unexpected(revoked.error());  // the cursor stays: retried next time
          }
          for (const store::RevokedSession& r : *revoked) {
            if (r.user_id == change.user_id) {
              Publish(Revocation::Kind::kSession, r.session_id, r.revoked_at);
            }
          }
        }
        if (change.kind == store::Change::Kind::kUserChanged) {
          Publish(Revocation::Kind::kUserClaims, change.user_id, change.at);
        }
        cache_.InvalidateUser(change.user_id);
      }
      cursor = change.seq;
    }
    change_cursor_.store(cursor);
    if (changes->size() < 256) {
      return {};
    }
  }
}

void SessionService::SetCacheTrusted(bool trusted) {
  cache_trusted_.store(trusted, std::memory_order_release);
  cache_.Clear();
}

Result<void> SessionService::Resynchronize(Seconds horizon) {
  if (auto followed = FollowChanges(); !followed) {
    return followed;
  }
  if (auto rebuilt = RebuildRevocations(horizon); !rebuilt) {
    return tl::unexpected(rebuilt.error());
  }
  return {};
}

Result<size_t> SessionService::RebuildRevocations(Seconds horizon) {
  auto revoked = sessions_.ListRevokedJwtSessions(clock_.Now() - horizon);
  if (!revoked) {
    return tl::unexpected(revoked.error());
  }
  for (const store::RevokedSession& r : *revoked) {
    Publish(Revocation::Kind::kSession, r.session_id, r.revoked_at);
  }
  auto users = RebuildUserCutoffs(clock_.Now() - horizon);
  if (!users) {
    return tl::unexpected(users.error());
  }
  return revoked->size() + *users;
}

Result<size_t> SessionService::RebuildUserCutoffs(TimePoint since) {
  // The change feed keeps at least a horizon of entries (PurgeSessions): its user entries are
  // the cut-offs that may still matter. One pass in pages.
  size_t published = 0;
  int64_t cursor = 0;
  for (;;) {
    auto changes = sessions_.ChangesSince(cursor, 1000);
    if (!changes) {
      return tl::unexpected(changes.error());
    }
    for (const store::Change& change : *changes) {
      cursor = change.seq;
      if (change.at < since || change.kind == store::Change::Kind::kSessionRevoked) {
        continue;
      }
      Publish(change.kind == store::Change::Kind::kUserChanged ? Revocation::Kind::kUserClaims
                                                               : Revocation::Kind::kUser,
              change.user_id, change.at);
      ++published;
    }
    if (changes->size() < 1000) {
      return published;
    }
  }
}

}  // namespace sesame::auth
