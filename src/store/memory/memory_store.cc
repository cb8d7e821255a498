#include "store/memory/memory_store.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace sesame::store {
// The order the SQLite backend uses: created_at, then insertion order (its rowid).
bool MemoryStore::CreatedBefore(const Session* a, const Session* b) const {
  const uint64_t seq_a = session_seq_.find(a->id)->second;
  const uint64_t seq_b = session_seq_.find(b->id)->second;
  return std::tie(a->created_at, seq_a) < std::tie(b->created_at, seq_b);
}

void MemoryStore::SetUnavailable(bool is_unavailable) {
  std::lock_guard lock(mu_);
  is_unavailable_ = is_unavailable;
}

Result<void> MemoryStore::CheckAvailable() const {
  if (is_unavailable_) {
    return MakeError(ErrorCode::kUnavailable, "memory store: unavailable (SetUnavailable)");
  }
  return {};
}

User* MemoryStore::FindUser(std::string_view user_id) {
  const auto key = user_keys_by_id_.find(user_id);
  if (key == user_keys_by_id_.end()) {
    return nullptr;
  }
  return &users_by_key_.find(key->second)->second;
}

std::vector<Session*> MemoryStore::LiveSessionsNewestFirst(std::optional<std::string_view> user_id,
                                                           TimePoint now) {
  std::vector<Session*> live;
  for (auto& [id, session] : sessions_) {
    if ((!user_id || session.user_id == *user_id) && session.IsLiveAt(now)) {
      live.push_back(&session);
    }
  }
  std::sort(live.begin(), live.end(),
            [this](const Session* a, const Session* b) { return CreatedBefore(b, a); });
  return live;
}

void MemoryStore::AppendChange(Change::Kind kind, std::string_view session_id,
                               std::string_view user_id, TimePoint at) {
  changes_.push_back(Change{.seq = ++last_change_seq_,
                            .kind = kind,
                            .session_id = std::string(session_id),
                            .user_id = std::string(user_id),
                            .at = at});
}

// UserStore.

Result<void> MemoryStore::CreateUser(const User& user) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  if (users_by_key_.contains(user.username_key)) {
    return MakeError(ErrorCode::kUsernameTaken, "CreateUser: username already taken");
  }
  if (!user.username_skeleton.empty() && user_keys_by_skeleton_.contains(user.username_skeleton)) {
    return MakeError(ErrorCode::kUsernameTaken,
                     "CreateUser: username confusable with a taken one (same skeleton)");
  }
  if (user_keys_by_id_.contains(user.id)) {
    // A clash of random ids is a caller bug; SQLite reports it as a failed constraint.
    return MakeError(ErrorCode::kUnavailable, "CreateUser: user id already exists");
  }
  users_by_key_.emplace(user.username_key, user);
  user_keys_by_id_.emplace(user.id, user.username_key);
  if (!user.username_skeleton.empty()) {
    user_keys_by_skeleton_.emplace(user.username_skeleton, user.username_key);
  }
  return {};
}

Result<std::optional<User>> MemoryStore::FindUserById(std::string_view user_id) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const User* user = FindUser(user_id);
  if (user == nullptr) {
    return std::nullopt;
  }
  return *user;
}

Result<std::optional<User>> MemoryStore::FindUserByKey(std::string_view username_key) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const auto it = users_by_key_.find(username_key);
  if (it == users_by_key_.end()) {
    return std::nullopt;
  }
  return it->second;
}

Result<std::optional<User>> MemoryStore::FindUserBySkeleton(std::string_view username_skeleton) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const auto it = user_keys_by_skeleton_.find(username_skeleton);
  if (username_skeleton.empty() || it == user_keys_by_skeleton_.end()) {
    return std::nullopt;
  }
  return users_by_key_.find(it->second)->second;
}

Result<std::vector<User>> MemoryStore::ListUsers(std::string_view key_substring, size_t limit) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<User> users;
  for (const auto& [key, user] : users_by_key_) {
    if (users.size() >= limit) {
      break;
    }
    if (key.find(key_substring) != std::string::npos) {
      users.push_back(user);
    }
  }
  return users;
}

Result<size_t> MemoryStore::CountUsers() {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  return users_by_key_.size();
}

Result<std::vector<User>> MemoryStore::ListUsersWithoutSkeleton(
    const std::optional<UserPosition>& after, size_t limit) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const auto position = [](const User& user) { return std::tie(user.created_at, user.id); };
  std::vector<User> users;
  for (const auto& [key, user] : users_by_key_) {
    if (user.username_skeleton.empty() &&
        (!after || position(user) > std::tie(after->created_at, after->id))) {
      users.push_back(user);
    }
  }
  std::sort(users.begin(), users.end(),
            [&](const User& a, const User& b) { return position(a) < position(b); });
  if (users.size() > limit) {
    users.resize(limit);
  }
  return users;
}

Result<bool> MemoryStore::SetUsernameSkeleton(std::string_view user_id,
                                              std::string_view username_skeleton) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  if (username_skeleton.empty()) {
    return MakeError(ErrorCode::kInvalidRequest, "SetUsernameSkeleton: empty skeleton");
  }
  User* user = FindUser(user_id);
  if (user == nullptr) {
    return MakeError(ErrorCode::kNotFound, "SetUsernameSkeleton: no such user");
  }
  if (!user->username_skeleton.empty()) {
    return false;
  }
  if (user_keys_by_skeleton_.contains(username_skeleton)) {
    return MakeError(ErrorCode::kUsernameTaken,
                     "SetUsernameSkeleton: another user has this skeleton");
  }
  user->username_skeleton = std::string(username_skeleton);
  user_keys_by_skeleton_.emplace(user->username_skeleton, user->username_key);
  return true;
}

Result<void> MemoryStore::SetPasswordHash(std::string_view user_id,
                                          const std::string& password_hash, TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  User* user = FindUser(user_id);
  if (user == nullptr) {
    return MakeError(ErrorCode::kNotFound, "SetPasswordHash: no such user");
  }
  user->password_hash = password_hash;
  user->updated_at = now;
  return {};
}

Result<bool> MemoryStore::ReplacePasswordHash(std::string_view user_id, const std::string& expected,
                                              const std::string& password_hash, TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  User* user = FindUser(user_id);
  if (user == nullptr) {
    return MakeError(ErrorCode::kNotFound, "ReplacePasswordHash: no such user");
  }
  if (user->password_hash != expected) {
    return false;
  }
  user->password_hash = password_hash;
  user->updated_at = now;
  return true;
}

Result<void> MemoryStore::SetDisabled(std::string_view user_id, bool is_disabled, TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  User* user = FindUser(user_id);
  if (user == nullptr) {
    return MakeError(ErrorCode::kNotFound, "SetDisabled: no such user");
  }
  user->is_disabled = is_disabled;
  user->updated_at = now;
  return {};
}

Result<void> MemoryStore::SetRoles(std::string_view user_id, const std::vector<std::string>& roles,
                                   TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  User* user = FindUser(user_id);
  if (user == nullptr) {
    return MakeError(ErrorCode::kNotFound, "SetRoles: no such user");
  }
  user->roles = roles;
  user->updated_at = now;
  return {};
}

// SessionStore.

Result<CreateSessionOutcome> MemoryStore::CreateSession(const Session& session, DeviceLimit limit,
                                                        TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<Session*> live;
  if (limit.max_per_user > 0) {
    live = LiveSessionsNewestFirst(session.user_id, now);
    if (live.size() >= limit.max_per_user && limit.on_limit == OnLimit::kRefuse) {
      return MakeError(ErrorCode::kForbidden, "CreateSession: device limit reached");
    }
  }
  // Constraint checks come before any eviction, so that a refused insert leaves nothing
  // behind, as the rolled-back SQLite transaction does.
  if (sessions_.contains(session.id)) {
    return MakeError(ErrorCode::kUnavailable, "CreateSession: session id already exists");
  }
  if (!session.secret_hash.empty()) {
    for (const auto& [id, other] : sessions_) {
      if (other.secret_hash == session.secret_hash) {
        return MakeError(ErrorCode::kUnavailable, "CreateSession: secret hash already exists");
      }
    }
  }
  CreateSessionOutcome outcome;
  if (limit.max_per_user > 0 && live.size() >= limit.max_per_user) {
    const size_t to_evict = live.size() - limit.max_per_user + 1;
    for (size_t i = 0; i < to_evict; ++i) {
      Session* oldest = live[live.size() - 1 - i];
      oldest->revoked_at = now;
      oldest->revoke_reason = "evicted";
      AppendChange(Change::Kind::kSessionRevoked, oldest->id, oldest->user_id, now);
      outcome.evicted_session_ids.push_back(oldest->id);
    }
  }
  sessions_.emplace(session.id, session);
  session_seq_[session.id] = next_session_seq_++;
  return outcome;
}

Result<std::optional<Session>> MemoryStore::FindSessionById(std::string_view session_id) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return std::nullopt;
  }
  return it->second;
}

Result<std::optional<Session>> MemoryStore::FindSessionBySecretHash(std::string_view secret_hash) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  if (secret_hash.empty()) {
    return std::nullopt;  // jwt-mode sessions have no secret
  }
  for (const auto& [id, session] : sessions_) {
    if (session.secret_hash == secret_hash) {
      return session;
    }
  }
  return std::nullopt;
}

Result<std::vector<Session>> MemoryStore::ListLiveSessions(std::string_view user_id,
                                                           TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<Session> sessions;
  for (const Session* session : LiveSessionsNewestFirst(user_id, now)) {
    sessions.push_back(*session);
  }
  return sessions;
}

Result<std::vector<Session>> MemoryStore::ListAllLiveSessions(TimePoint now, size_t limit) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<Session> sessions;
  for (const Session* session : LiveSessionsNewestFirst(std::nullopt, now)) {
    if (sessions.size() >= limit) {
      break;
    }
    sessions.push_back(*session);
  }
  return sessions;
}

Result<size_t> MemoryStore::CountLiveSessions(TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  return static_cast<size_t>(std::count_if(
      sessions_.begin(), sessions_.end(), [now](const auto& s) { return s.second.IsLiveAt(now); }));
}

Result<void> MemoryStore::TouchSession(std::string_view session_id, TimePoint last_seen_at,
                                       TimePoint idle_expires_at) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  const auto it = sessions_.find(session_id);
  // Only a session that was live when it was seen slides, and only forwards: a touch that
  // arrives late (it runs off the request path) can neither revive a session nor shorten it.
  if (it == sessions_.end() || !it->second.IsLiveAt(last_seen_at)) {
    return {};
  }
  Session& session = it->second;
  session.last_seen_at = std::max(session.last_seen_at, last_seen_at);
  session.idle_expires_at = std::max(session.idle_expires_at, idle_expires_at);
  return {};
}

Result<bool> MemoryStore::RotateRefresh(std::string_view session_id,
                                        const RefreshRotation& rotation) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const auto it = sessions_.find(session_id);
  if (it == sessions_.end() || !it->second.IsLiveAt(rotation.now) ||
      it->second.refresh_generation != rotation.from_generation) {
    return false;
  }
  Session& session = it->second;
  session.previous_refresh_hash = std::move(session.refresh_hash);
  session.refresh_hash = rotation.new_hash;
  session.refresh_generation += 1;
  session.rotated_at = rotation.now;
  session.last_seen_at = std::max(session.last_seen_at, rotation.now);
  session.idle_expires_at = std::max(session.idle_expires_at, rotation.idle_expires_at);
  return true;
}

Result<std::vector<RevokedSession>> MemoryStore::ListRevokedJwtSessions(TimePoint since) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<RevokedSession> out;
  for (const auto& [id, session] : sessions_) {
    if (session.mode == SessionMode::kJwt && session.revoked_at && *session.revoked_at >= since) {
      out.push_back(RevokedSession{id, session.user_id, *session.revoked_at});
    }
  }
  std::sort(out.begin(), out.end(), [](const RevokedSession& a, const RevokedSession& b) {
    return a.revoked_at < b.revoked_at;
  });
  return out;
}

Result<bool> MemoryStore::RevokeSession(std::string_view session_id, std::string_view reason,
                                        TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.IsRevoked()) {
    return false;
  }
  it->second.revoked_at = now;
  it->second.revoke_reason = std::string(reason);
  AppendChange(Change::Kind::kSessionRevoked, it->second.id, it->second.user_id, now);
  return true;
}

Result<std::vector<std::string>> MemoryStore::RevokeUserSessions(std::string_view user_id,
                                                                 std::string_view reason,
                                                                 TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<Session*> revoked;
  for (auto& [id, session] : sessions_) {
    if (session.user_id == user_id && !session.IsRevoked()) {
      revoked.push_back(&session);
    }
  }
  std::sort(revoked.begin(), revoked.end(),
            [this](const Session* a, const Session* b) { return CreatedBefore(a, b); });
  std::vector<std::string> ids;
  for (Session* session : revoked) {
    session->revoked_at = now;
    session->revoke_reason = std::string(reason);
    ids.push_back(session->id);
  }
  AppendChange(Change::Kind::kUserSessionsRevoked, "", user_id, now);
  return ids;
}

Result<void> MemoryStore::RecordUserChanged(std::string_view user_id, TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  AppendChange(Change::Kind::kUserChanged, "", user_id, now);
  return {};
}

Result<std::vector<Change>> MemoryStore::ChangesSince(int64_t after_seq, size_t limit) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<Change> changes;
  auto it = std::upper_bound(changes_.begin(), changes_.end(), after_seq,
                             [](int64_t seq, const Change& change) { return seq < change.seq; });
  for (; it != changes_.end() && changes.size() < limit; ++it) {
    changes.push_back(*it);
  }
  return changes;
}

Result<int64_t> MemoryStore::LatestChangeSeq() {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  return last_change_seq_;
}

Result<size_t> MemoryStore::PurgeSessions(TimePoint before) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const size_t purged = std::erase_if(sessions_, [before](const auto& entry) {
    const Session& s = entry.second;
    return s.absolute_expires_at < before || (s.revoked_at && *s.revoked_at < before);
  });
  std::erase_if(session_seq_,
                [this](const auto& entry) { return !sessions_.contains(entry.first); });
  std::erase_if(changes_, [before](const Change& change) { return change.at < before; });
  return purged;
}

// RateStore.

Result<RateCounter> MemoryStore::GetCounter(std::string_view key, TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const auto it = counters_.find(key);
  if (it == counters_.end() || now >= it->second.window_end) {
    return RateCounter{};
  }
  return it->second;
}

Result<RateCounter> MemoryStore::Hit(std::string_view key, Seconds window, TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    it = counters_.emplace(std::string(key), RateCounter{}).first;
  }
  RateCounter& counter = it->second;
  if (counter.count == 0 || now >= counter.window_end) {
    counter =
        RateCounter{.count = 1, .window_start = now, .window_end = now + window, .last_hit = now};
  } else {
    ++counter.count;
    counter.last_hit = now;
  }
  return counter;
}

Result<SlotAnswer> MemoryStore::TakeSlot(std::string_view key, const SlotRule& rule,
                                         TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    it = counters_.emplace(std::string(key), RateCounter{}).first;
  }
  RateCounter& counter = it->second;
  if (counter.count == 0 || now >= counter.window_end) {
    counter = RateCounter{
        .count = 1, .window_start = now, .window_end = now + rule.window, .last_hit = {}};
    return SlotAnswer{true, counter};
  }
  if (counter.count >= rule.limit || now < counter.last_hit + rule.GapAfter(counter.count)) {
    return SlotAnswer{false, counter};
  }
  ++counter.count;
  return SlotAnswer{true, counter};
}

Result<void> MemoryStore::MarkSlot(std::string_view key, TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  if (const auto it = counters_.find(key); it != counters_.end()) {
    it->second.last_hit = now;
  }
  return {};
}

Result<void> MemoryStore::ReturnSlot(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  if (const auto it = counters_.find(key); it != counters_.end() && it->second.count > 0) {
    --it->second.count;
  }
  return {};
}

Result<void> MemoryStore::ClearCounter(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  if (const auto it = counters_.find(key); it != counters_.end()) {
    counters_.erase(it);
  }
  return {};
}

Result<void> MemoryStore::PurgeCounters(TimePoint now) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  std::erase_if(counters_, [now](const auto& entry) { return entry.second.window_end < now; });
  return {};
}

// AuditLog.

Result<void> MemoryStore::Append(const AuditEvent& event) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return available;
  }
  AuditEvent stored = event;
  stored.id = ++last_audit_id_;
  audit_events_.push_back(std::move(stored));
  return {};
}

Result<std::vector<AuditEvent>> MemoryStore::Recent(std::string_view user_id, size_t limit) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  std::vector<AuditEvent> events;
  for (auto it = audit_events_.rbegin(); it != audit_events_.rend() && events.size() < limit;
       ++it) {
    if (user_id.empty() || it->user_id == user_id) {
      events.push_back(*it);
    }
  }
  return events;
}

Result<size_t> MemoryStore::PurgeAudit(TimePoint before, size_t batch) {
  std::lock_guard lock(mu_);
  if (auto available = CheckAvailable(); !available) {
    return tl::unexpected(available.error());
  }
  const size_t head = std::min(batch, audit_events_.size());
  const auto end = std::remove_if(audit_events_.begin(), audit_events_.begin() + head,
                                  [before](const AuditEvent& e) { return e.at < before; });
  const auto purged = static_cast<size_t>((audit_events_.begin() + head) - end);
  audit_events_.erase(end, audit_events_.begin() + head);
  return purged;
}

}  // namespace sesame::store
