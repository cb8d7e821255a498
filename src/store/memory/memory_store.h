#pragma once

// MemoryStore: every store interface (users, sessions and the change feed, rate counters, audit
// log) in one object, kept in memory under one mutex. It has the same semantics as the SQLite
// backend, which the conformance suite (tests/unit/store) checks, and is the fake for domain
// tests: SetUnavailable(true) makes every call fail with kUnavailable and change nothing, to show
// "store down: 503, nothing lost". Nothing survives the object. Thread-safe; results are copies.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/audit_log.h"
#include "store/rate_store.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::store {

class MemoryStore final : public UserStore, public SessionStore, public RateStore, public AuditLog {
 public:
  MemoryStore() = default;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // While true, every call returns kUnavailable and changes nothing.
  void SetUnavailable(bool is_unavailable);

  // UserStore.
  [[nodiscard]] Result<void> CreateUser(const User& user) override;
  [[nodiscard]] Result<std::optional<User>> FindUserById(std::string_view user_id) override;
  [[nodiscard]] Result<std::optional<User>> FindUserByKey(std::string_view username_key) override;
  [[nodiscard]] Result<std::optional<User>> FindUserBySkeleton(
      std::string_view username_skeleton) override;
  [[nodiscard]] Result<std::vector<User>> ListUsers(std::string_view key_substring,
                                                    size_t limit) override;
  [[nodiscard]] Result<size_t> CountUsers() override;
  [[nodiscard]] Result<std::vector<User>> ListUsersWithoutSkeleton(
      const std::optional<UserPosition>& after, size_t limit) override;
  [[nodiscard]] Result<bool> SetUsernameSkeleton(std::string_view user_id,
                                                 std::string_view username_skeleton) override;
  [[nodiscard]] Result<void> SetPasswordHash(std::string_view user_id,
                                             const std::string& password_hash,
                                             TimePoint now) override;
  [[nodiscard]] Result<bool> ReplacePasswordHash(std::string_view user_id,
                                                 const std::string& expected,
                                                 const std::string& password_hash,
                                                 TimePoint now) override;
  [[nodiscard]] Result<void> SetDisabled(std::string_view user_id, bool is_disabled,
                                         TimePoint now) override;
  [[nodiscard]] Result<void> SetRoles(std::string_view user_id,
                                      const std::vector<std::string>& roles,
                                      TimePoint now) override;

  // SessionStore.
  [[nodiscard]] Result<CreateSessionOutcome> CreateSession(const Session& session,
                                                           DeviceLimit limit,
                                                           TimePoint now) override;
  [[nodiscard]] Result<std::optional<Session>> FindSessionById(
      std::string_view session_id) override;
  [[nodiscard]] Result<std::optional<Session>> FindSessionBySecretHash(
      std::string_view secret_hash) override;
  [[nodiscard]] Result<std::vector<Session>> ListLiveSessions(std::string_view user_id,
                                                              TimePoint now) override;
  [[nodiscard]] Result<std::vector<Session>> ListAllLiveSessions(TimePoint now,
                                                                 size_t limit) override;
  [[nodiscard]] Result<size_t> CountLiveSessions(TimePoint now) override;
  [[nodiscard]] Result<void> TouchSession(std::string_view session_id, TimePoint last_seen_at,
                                          TimePoint idle_expires_at) override;
  [[nodiscard]] Result<bool> RotateRefresh(std::string_view session_id,
                                           const RefreshRotation& rotation) override;
  [[nodiscard]] Result<std::vector<RevokedSession>> ListRevokedJwtSessions(
      TimePoint since) override;
  [[nodiscard]] Result<bool> RevokeSession(std::string_view session_id, std::string_view reason,
                                           TimePoint now) override;
  [[nodiscard]] Result<std::vector<std::string>> RevokeUserSessions(std::string_view user_id,
                                                                    std::string_view reason,
                                                                    TimePoint now) override;
  [[nodiscard]] Result<void> RecordUserChanged(std::string_view user_id, TimePoint now) override;
  [[nodiscard]] Result<std::vector<Change>> ChangesSince(int64_t after_seq, size_t limit) override;
  [[nodiscard]] Result<int64_t> LatestChangeSeq() override;
  [[nodiscard]] Result<size_t> PurgeSessions(TimePoint before) override;

  // RateStore.
  [[nodiscard]] Result<RateCounter> GetCounter(std::string_view key, TimePoint now) override;
  [[nodiscard]] Result<RateCounter> Hit(std::string_view key, Seconds window,
                                        TimePoint now) override;
  [[nodiscard]] Result<void> ClearCounter(std::string_view key) override;
  [[nodiscard]] Result<SlotAnswer> TakeSlot(std::string_view key, const SlotRule& rule,
                                            TimePoint now) override;
  [[nodiscard]] Result<void> MarkSlot(std::string_view key, TimePoint now) override;
  [[nodiscard]] Result<void> ReturnSlot(std::string_view key) override;
  [[nodiscard]] Result<void> PurgeCounters(TimePoint now) override;

  // AuditLog.
  [[nodiscard]] Result<void> Append(const AuditEvent& event) override;
  [[nodiscard]] Result<std::vector<AuditEvent>> Recent(std::string_view user_id,
                                                       size_t limit) override;
  [[nodiscard]] Result<size_t> PurgeAudit(TimePoint before, size_t batch) override;

 private:
  [[nodiscard]] Result<void> CheckAvailable() const;  // requires mu_
  User* FindUser(std::string_view user_id);           // requires mu_
  // Live sessions at `now`, of one user or of all users; requires mu_.
  std::vector<Session*> LiveSessionsNewestFirst(std::optional<std::string_view> user_id,
                                                TimePoint now);
  void AppendChange(Change::Kind kind, std::string_view session_id, std::string_view user_id,
                    TimePoint at);  // requires mu_

  std::mutex mu_;
  bool is_unavailable_ = false;                                      // guarded by mu_
  std::map<std::string, User, std::less<>> users_by_key_;            // guarded by mu_
  std::map<std::string, std::string, std::less<>> user_keys_by_id_;  // guarded by mu_
  // Only users with a skeleton; guarded by mu_.
  std::map<std::string, std::string, std::less<>> user_keys_by_skeleton_;
  std::map<std::string, Session, std::less<>> sessions_;  // by id; guarded by mu_
  // Insertion order, to break created_at ties like SQLite's rowid; guarded by mu_.
  std::map<std::string, uint64_t, std::less<>> session_seq_;
  uint64_t next_session_seq_ = 0;  // guarded by mu_
  bool CreatedBefore(const Session* a, const Session* b) const;
  std::vector<Change> changes_;                               // oldest first; guarded by mu_
  int64_t last_change_seq_ = 0;                               // guarded by mu_
  std::map<std::string, RateCounter, std::less<>> counters_;  // guarded by mu_
  std::vector<AuditEvent> audit_events_;                      // oldest first; guarded by mu_
  int64_t last_audit_id_ = 0;                                 // guarded by mu_
};

}  // namespace sesame::store
